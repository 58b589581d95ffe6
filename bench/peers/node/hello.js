// Node's http server answering "Hello, World!" (built-in modules only).
// Binds 127.0.0.1 on an ephemeral port and prints its URL as the first line on stdout.
'use strict';
const http = require('node:http');

const hello = Buffer.from('Hello, World!');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': hello.length });
  res.end(hello);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}/\n`);
});
process.on('SIGTERM', () => process.exit(0));
