using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Proxy;

/// <summary>
/// The PROXY protocol (SPEC 8) end to end: DartIo's servers behind a real HAProxy and nginx, with clients bound to
/// 127.0.0.7, see that address as the client's, over plain TCP and TLS, and through the <c>dartio</c> tool.
/// </summary>
public sealed class ProxyProtocolThroughProxiesTests
{
    private const string CloseRequest = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    [HaProxyFact]
    public Task HttpServer_BehindHaProxySendProxy_RequestSeesTheClientsAddress() =>
        AssertHttpServerSeesClientAsync(port => ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.V1), version: 1);

    [HaProxyFact]
    public Task HttpServer_BehindHaProxySendProxyV2_RequestSeesTheClientsAddress() =>
        AssertHttpServerSeesClientAsync(port => ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.V2), version: 2);

    [NginxStreamFact]
    public Task HttpServer_BehindNginxStreamProxyProtocol_RequestSeesTheClientsAddress() =>
        AssertHttpServerSeesClientAsync(port => ProxyProcess.StartNginxStreamAsync(port), version: 1);

    [HaProxyFact]
    public async Task SecureServerSocket_BehindHaProxySendProxyV2_RemoteAddressIsTheClientsAfterTheHandshake()
    {
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var serving = Task.Run(async () =>
        {
            await using var connection = (await server.AcceptAsync())!;
            var seen = $"{connection.RemoteAddress.Address} {connection.RemotePort} {connection.ProxyHeader?.Version}";
            await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes(seen));
            await connection.CloseAsync();
        });
        await using var proxy = await ProxyProcess.StartHaProxyAsync(server.Port, ProxyHeaderKind.V2);

        var (tls, client) = await proxy.ConnectTlsAsync();
        await using var _ = tls;
        var seen = await Loopback.ReadToEndAsync(tls);

        await serving.Within();
        Assert.Equal($"127.0.0.7 {client.Port} 2", seen);
    }

    [HaProxyFact]
    public async Task HttpServerBindSecure_BehindHaProxySendProxyV2_RequestSeesTheClientsAddress()
    {
        await using var server = await HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, 0, HttpServerSecureTests.ServerContext());
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.Listen(request =>
        {
            request.Response.Write(Describe(request.ConnectionInfo!));
            return Task.CompletedTask;
        });
        await using var proxy = await ProxyProcess.StartHaProxyAsync(server.Port, ProxyHeaderKind.V2);
        var clientPorts = new List<int>();
        var handler = new SocketsHttpHandler
        {
            // Every connection to the proxy, whatever the URL's port names, from 127.0.0.7.
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = await proxy.ConnectAsync();
                lock (clientPorts)
                {
                    clientPorts.Add(((IPEndPoint)socket.LocalEndPoint!).Port);
                }

                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = HttpServerSecureTests.TrustTestCa;
        using var client = HttpTesting.Client(handler);

        var seen = await client.GetStringAsync($"https://localhost:{proxy.Port}/");

        Assert.Equal($"127.0.0.7 {Assert.Single(clientPorts)} 2", seen);
    }

    [HaProxyFact]
    public async Task Serve_ProxyProtocolRequiredBehindHaProxy_AccessLogShowsTheClientsAddress()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "behind a proxy");
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--proxy-protocol", "required");
        var url = (await tool.ReadUrlAsync())!;
        var port = int.Parse(url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        await using var proxy = await ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.V2);

        using var connection = new RawConnection(await proxy.ConnectAsync());
        await connection.SendAsync("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("behind a proxy", response.Text);
        Assert.Equal(0, await tool.StopAsync());
        var log = await tool.ReadAllErrorAsync();
        Assert.Matches(@"(?m)^127\.0\.0\.7 - - \[[^\]]+\] ""GET /hello\.txt HTTP/1\.1"" 200 14", log);
    }

    [Fact]
    public async Task HttpServer_HeaderFromAPeerOutsideTrustedProxies_ClosesTheConnectionUnanswered()
    {
        var handled = 0;
        await using var server = await ServeAsync(_ => Interlocked.Increment(ref handled), trusted: "10.0.0.0/8");

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync($"PROXY TCP4 127.0.0.7 127.0.0.1 40000 {server.Port}\r\n{CloseRequest}");

        Assert.True(await connection.ClosedByServerAsync().Within());
        Assert.Equal(0, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task HttpServer_HeaderFromAPeerInsideTrustedProxies_IsBelieved()
    {
        await using var server = await ServeAsync(_ => { }, trusted: "127.0.0.1/32");

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync($"PROXY TCP4 127.0.0.7 127.0.0.1 40000 {server.Port}\r\n{CloseRequest}");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("127.0.0.7 40000 1", response.Text);
    }

    private static string Describe(HttpConnectionInfo info) => $"{info.RemoteAddress.Address} {info.RemotePort} {info.ProxyHeader?.Version}";

    /// <summary>A plain HttpServer that requires the PROXY header and answers each request with the client it sees.</summary>
    private static async Task<HttpServer> ServeAsync(Action<HttpRequest> onRequest, string? trusted = null)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.ProxyProtocol = ProxyProtocolMode.Required;
        if (trusted is not null)
        {
            server.TrustedProxies.Add(IPNetwork.Parse(trusted));
        }

        server.Listen(request =>
        {
            onRequest(request);
            request.Response.Write(Describe(request.ConnectionInfo!));
            return Task.CompletedTask;
        });
        return server;
    }

    private static async Task AssertHttpServerSeesClientAsync(Func<int, Task<ProxyProcess>> startProxy, int version)
    {
        await using var server = await ServeAsync(_ => { });
        await using var proxy = await startProxy(server.Port);

        using var connection = new RawConnection(await proxy.ConnectAsync());
        await connection.SendAsync(CloseRequest);
        var response = await connection.ReadResponseAsync();

        Assert.Equal($"127.0.0.7 {((IPEndPoint)connection.Socket.LocalEndPoint!).Port} {version}", response.Text);
    }
}
