using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// <c>dartio serve</c>'s handler on a loopback HttpServer (port 0), in-process, with the settings a test gives: what
/// ServeCommand builds, without the command line. The server's own AutoCompress stays off: the handler compresses
/// through <see cref="HttpResponse.Compression"/> itself.
/// </summary>
internal sealed class StaticFileServer : IAsyncDisposable
{
    private readonly HttpServer _server;

    private StaticFileServer(HttpServer server) => _server = server;

    public int Port => _server.Port;

    public static async Task<StaticFileServer> StartAsync(ServeSettings settings, AccessLog? log = null)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(new StaticFileHandler(settings, log).HandleAsync);
        return new StaticFileServer(server);
    }

    /// <summary>One request on a new connection; <paramref name="headers"/> are whole lines, each ending in CRLF.</summary>
    public async Task<RawResponse> SendAsync(string target, string headers = "", string method = "GET")
    {
        using var connection = await HttpTesting.ConnectAsync(Port);
        await connection.SendAsync($"{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
        return await connection.ReadResponseAsync(head: method == "HEAD");
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
