using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// The PROXY protocol (SPEC 8) on HttpServer, plain and HTTPS: the request's ConnectionInfo names the client the header
/// names. The test client stands in for the proxy and writes the header itself.
/// </summary>
public sealed class HttpServerProxyProtocolTests
{
    private const string Request = "GET /who HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    [Fact]
    public async Task ConnectionInfo_PlainServerWithRequiredHeader_IsTheHeadersClient()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.Listen(DescribeConnection);

        using var socket = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), Request);
        using var connection = new RawConnection(socket);
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal($"{ProxyHeaders.Client} {ProxyHeaders.ClientPort} {server.Port} v1", Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task ConnectionInfo_PlainServerWithoutAHeaderWhereRequired_ClosesTheConnectionUnanswered()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.Listen(DescribeConnection);

        using var socket = await ProxyHeaders.ConnectAndSendAsync(server.Port, [], Request);

        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(socket));
    }

    [Fact]
    public async Task ConnectionInfo_HttpsServerWithRequiredHeader_IsTheHeadersClient()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.Listen(DescribeConnection);

        using var socket = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V2(tlvs: [(0x01, "http/1.1"u8.ToArray())]));
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = HttpServerSecureTests.TrustTestCa,
        }).Within();
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(Request)).AsTask().Within();
        var response = await Loopback.ReadToEndAsync(ssl);

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.EndsWith($"\r\n\r\n{ProxyHeaders.Client} {ProxyHeaders.ClientPort} {server.Port} v2", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListenOn_SocketWithRequiredHeader_ConnectionInfoIsTheHeadersClient()
    {
        await using var socket = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        socket.ProxyProtocol = ProxyProtocolMode.Required;
        await using var server = HttpServer.ListenOn(socket);
        server.Listen(DescribeConnection);

        using var client = await ProxyHeaders.ConnectAndSendAsync(socket.Port, ProxyHeaders.V1(sourcePort: 6060), Request);
        using var connection = new RawConnection(client);
        var response = await connection.ReadResponseAsync();

        Assert.Equal($"{ProxyHeaders.Client} 6060 {socket.Port} v1", Encoding.ASCII.GetString(response.Body));
    }

    [Fact]
    public async Task ProxyProtocol_SetAfterListen_Throws()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(DescribeConnection);

        Assert.Throws<InvalidOperationException>(() => server.ProxyProtocol = ProxyProtocolMode.Required);
    }

    [Fact]
    public async Task MaxConnections_ClosedConnections_GiveTheirPlaceBack()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxConnections = 1;
        server.Listen(DescribeConnection);

        for (var i = 0; i < 3; i++)
        {
            var response = await HttpTesting.SendAsync(server.Port, Request).Within();
            Assert.Equal(200, response.Status);
        }
    }

    [Fact]
    public async Task MaxConnections_HttpsClosedConnections_GiveTheirPlaceBack()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.MaxConnections = 1;
        server.Listen(DescribeConnection);
        using var client = HttpServerSecureTests.SecureClient();

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{server.Port}/") { Headers = { ConnectionClose = true } };
            using var response = await client.SendAsync(request).Within();
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>Answers with the client address, its port, the local port and the header's version as the request saw them.</summary>
    private static Task DescribeConnection(HttpRequest request)
    {
        var info = request.ConnectionInfo!;
        request.Response.Write($"{info.RemoteAddress.Address} {info.RemotePort} {info.LocalPort} v{info.ProxyHeader?.Version}");
        return Task.CompletedTask;
    }
}
