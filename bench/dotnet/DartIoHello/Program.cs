// The DartIo side of the HTTP cases: HttpServer answering "Hello, World!", written as a Dart user would.
//
//   DartIoHello [--mode listen|foreach] [--tls CERT.pem KEY.pem] [--sharers N] [--inline] [--proxy-protocol required|optional]
//
// --mode listen (the default) serves with HttpServer.Listen; foreach with `await foreach` over the server.
// --tls binds with BindSecureAsync (HTTP/1.1, and HTTP/2 when the client offers it by ALPN).
// --sharers N binds N shared servers on one port (Dart's `shared: true`), each serving on its own.
// --inline sets HttpServer.InlineCompletions: Kestrel's socket I/O on .NET's socket event thread.
// --proxy-protocol sets HttpServer.ProxyProtocol: every connection (required) or any that starts with one (optional)
// begins with a PROXY protocol header, as HAProxy's send-proxy-v2 sends (case 9).
//
// Binds 127.0.0.1 on an ephemeral port and prints its URL as the first line on stdout. On SIGTERM or Ctrl+C it
// closes the servers and prints "counts: C1 C2 ..." (requests served by each sharer) before it exits.
//
// Like for like: the responses carry the same headers as the other servers' (Content-Type, Content-Length,
// Date), so Dart's default X-Frame-Options, X-Content-Type-Options and X-XSS-Protection are removed.
using System.Globalization;
using System.Runtime.InteropServices;
using DartIo;

var mode = "listen";
string? certificate = null, key = null;
var sharers = 1;
var inline = false;
var proxyProtocol = ProxyProtocolMode.None;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--mode" when i + 1 < args.Length: mode = args[++i]; break;
        case "--tls" when i + 2 < args.Length: certificate = args[++i]; key = args[++i]; break;
        case "--sharers" when i + 1 < args.Length: sharers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--inline": inline = true; break;
        case "--proxy-protocol" when i + 1 < args.Length && args[i + 1] is "required" or "optional":
            proxyProtocol = args[++i] == "required" ? ProxyProtocolMode.Required : ProxyProtocolMode.Optional;
            break;
        default:
            Console.Error.WriteLine(
                "usage: DartIoHello [--mode listen|foreach] [--tls CERT.pem KEY.pem] [--sharers N] [--inline] [--proxy-protocol required|optional]");
            return 2;
    }
}

if (mode is not ("listen" or "foreach") || sharers < 1)
{
    Console.Error.WriteLine("DartIoHello: --mode is listen or foreach; --sharers at least 1");
    return 2;
}

SecurityContext? context = null;
if (certificate is not null)
{
    context = new SecurityContext();
    context.UseCertificateChain(certificate);
    context.UsePrivateKey(key!);
}

Task<HttpServer> Bind(int port) => context is null
    ? HttpServer.BindAsync(InternetAddress.LoopbackIPv4, port, shared: sharers > 1)
    : HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, port, context, shared: sharers > 1);

var servers = new List<HttpServer> { await Bind(0) };
for (var i = 1; i < sharers; i++)
{
    servers.Add(await Bind(servers[0].Port));
}

var counts = new long[sharers * 8]; // one slot per sharer, a cache line apart
var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

var loops = new List<Task>();
for (var i = 0; i < servers.Count; i++)
{
    var server = servers[i];
    var slot = i * 8;
    server.InlineCompletions = inline;
    server.ProxyProtocol = proxyProtocol; // the OS socket's setting: every sharer names the same
    server.DefaultResponseHeaders.RemoveAll("X-Frame-Options");
    server.DefaultResponseHeaders.RemoveAll("X-Content-Type-Options");
    server.DefaultResponseHeaders.RemoveAll("X-XSS-Protection");
    if (mode == "listen")
    {
        server.Listen(request =>
        {
            Interlocked.Increment(ref counts[slot]);
            var response = request.Response;
            response.Write("Hello, World!");
            return response.CloseAsync();
        });
    }
    else
    {
        loops.Add(ServeAsync(server, slot));
    }
}

Console.WriteLine($"{(context is null ? "http" : "https")}://127.0.0.1:{servers[0].Port}/");
Console.Out.Flush();

await stopped.Task;
await Task.WhenAll(servers.Select(s => s.CloseAsync(force: true)));
await Task.WhenAll(loops);
Console.WriteLine("counts: " + string.Join(' ', Enumerable.Range(0, sharers).Select(i => counts[i * 8])));
Console.Out.Flush();
return 0;

async Task ServeAsync(HttpServer server, int slot)
{
    await foreach (var request in server)
    {
        Interlocked.Increment(ref counts[slot]);
        var response = request.Response;
        response.Write("Hello, World!");
        await response.CloseAsync();
    }
}

void Stop(PosixSignalContext signal)
{
    signal.Cancel = true;
    stopped.TrySetResult();
}
