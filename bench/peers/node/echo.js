// Node's net echo server: each connection piped back to itself (built-in modules only).
// Binds 127.0.0.1 on an ephemeral port and prints tcp://127.0.0.1:PORT as the first line on stdout.
'use strict';
const net = require('node:net');

const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy()); // a client that resets is no reason to stop
  socket.pipe(socket);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`tcp://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
