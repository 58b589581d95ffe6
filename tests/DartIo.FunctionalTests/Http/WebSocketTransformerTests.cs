using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace DartIo.FunctionalTests.Http;

public sealed class WebSocketTransformerTests
{
    private static async Task<HttpServer> EchoServerAsync(Func<IReadOnlyList<string>, string?>? selector = null, bool compression = true,
        bool secure = false, TaskCompletionSource<string>? upgradeVersion = null)
    {
        var server = secure
            ? await HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, 0, HttpServerSecureTests.ServerContext())
            : await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            if (!WebSocketTransformer.IsUpgradeRequest(request))
            {
                request.Response.StatusCode = 426;
                return;
            }

            upgradeVersion?.TrySetResult(request.ProtocolVersion);

            using var socket = await WebSocketTransformer.UpgradeAsync(request, selector, compression);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
            }
        });
        return server;
    }

    private static async Task<string> EchoAsync(ClientWebSocket client, string text)
    {
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        WebSocketReceiveResult received;
        do
        {
            received = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(HttpTesting.Timeout);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return Encoding.UTF8.GetString(message.ToArray());
    }

    [Fact]
    public async Task UpgradeAsync_ClientSendsMessages_TheyAreEchoed()
    {
        await using var server = await EchoServerAsync();
        using var client = new ClientWebSocket();

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None).WaitAsync(HttpTesting.Timeout);
        var first = await EchoAsync(client, "hello");
        var second = await EchoAsync(client, "world");
        var info = server.ConnectionsInfo();
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(HttpTesting.Timeout);

        Assert.Equal(("hello", "world"), (first, second));
        Assert.Equal(1, info.Active);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    /// <summary>A ClientWebSocket that only speaks HTTP/2 (RFC 8441 extended CONNECT), trusting the test CA.</summary>
    private static async Task<ClientWebSocket> ConnectHttp2Async(HttpServer server, Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(client.Options);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = HttpServerSecureTests.TrustTestCa;
        using var invoker = new HttpMessageInvoker(handler);
        await client.ConnectAsync(new Uri($"wss://localhost:{server.Port}/ws"), invoker, CancellationToken.None).WaitAsync(HttpTesting.Timeout);
        return client;
    }

    [Fact]
    public async Task UpgradeAsync_Http2ExtendedConnect_EchoesOverHttp2()
    {
        var version = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await EchoServerAsync(secure: true, upgradeVersion: version);
        using var client = await ConnectHttp2Async(server);

        var first = await EchoAsync(client, "over h2");
        var second = await EchoAsync(client, string.Concat(Enumerable.Repeat("long ", 20_000)));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(HttpTesting.Timeout);

        Assert.Equal("2", await version.Task.WaitAsync(HttpTesting.Timeout));
        Assert.Equal(HttpStatusCode.OK, client.HttpStatusCode);
        Assert.False(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Accept"));
        Assert.Equal("over h2", first);
        Assert.Equal(100_000, second.Length);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task UpgradeAsync_Http2ProtocolSelector_PicksTheSubprotocol()
    {
        await using var server = await EchoServerAsync(protocols => protocols[^1], secure: true);
        using var client = await ConnectHttp2Async(server, options =>
        {
            options.AddSubProtocol("chat.v1");
            options.AddSubProtocol("chat.v2");
        });

        Assert.Equal("chat.v2", client.SubProtocol);
        Assert.Equal("sub", await EchoAsync(client, "sub"));
    }

    [Fact]
    public async Task UpgradeAsync_Http2ClientOffersDeflate_NegotiatesPermessageDeflate()
    {
        await using var server = await EchoServerAsync(secure: true);
        using var client = await ConnectHttp2Async(server, options =>
            options.DangerousDeflateOptions = new WebSocketDeflateOptions { ClientMaxWindowBits = 12, ServerContextTakeover = false });
        var text = string.Concat(Enumerable.Repeat("squeeze ", 2000));

        var echoed = await EchoAsync(client, text);

        var extension = string.Join(",", client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]);
        Assert.StartsWith("permessage-deflate", extension, StringComparison.Ordinal);
        Assert.Contains("client_max_window_bits=12", extension, StringComparison.Ordinal);
        Assert.Equal(text, echoed);
    }

    [Fact]
    public async Task UpgradeAsync_ClientOffersDeflate_NegotiatesPermessageDeflate()
    {
        await using var server = await EchoServerAsync();
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions { ClientMaxWindowBits = 12, ServerContextTakeover = false };
        client.Options.CollectHttpResponseDetails = true;

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None).WaitAsync(HttpTesting.Timeout);
        var text = string.Concat(Enumerable.Repeat("squeeze ", 2000));
        var echoed = await EchoAsync(client, text);

        var extension = string.Join(",", client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]);
        Assert.StartsWith("permessage-deflate", extension, StringComparison.Ordinal);
        Assert.Contains("server_no_context_takeover", extension, StringComparison.Ordinal);
        Assert.Contains("client_max_window_bits=12", extension, StringComparison.Ordinal);
        Assert.Equal(text, echoed);
    }

    [Fact]
    public async Task UpgradeAsync_CompressionOff_DeclinesDeflate()
    {
        await using var server = await EchoServerAsync(compression: false);
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None).WaitAsync(HttpTesting.Timeout);

        Assert.False(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        Assert.Equal("plain", await EchoAsync(client, "plain"));
    }

    [Fact]
    public async Task UpgradeAsync_ProtocolSelector_PicksTheSubprotocol()
    {
        IReadOnlyList<string>? offered = null;
        await using var server = await EchoServerAsync(protocols =>
        {
            offered = protocols;
            return "chat.v2";
        });
        using var client = new ClientWebSocket();
        client.Options.AddSubProtocol("chat.v1");
        client.Options.AddSubProtocol("chat.v2");

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None).WaitAsync(HttpTesting.Timeout);

        Assert.Equal("chat.v2", client.SubProtocol);
        Assert.Equal(["chat.v1", "chat.v2"], offered);
    }

    [Fact]
    public async Task UpgradeAsync_NotAnUpgradeRequest_Answers400AndThrows()
    {
        var failure = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            failure.TrySetResult(await Record.ExceptionAsync(() => WebSocketTransformer.UpgradeAsync(request)));
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(400, response.Status);
        Assert.IsType<WebSocketException>(await failure.Task.WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task UpgradeAsync_KeySentTwice_Answers400()
    {
        var seen = new TaskCompletionSource<(bool IsUpgrade, Exception? Failure)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            var isUpgrade = WebSocketTransformer.IsUpgradeRequest(request);
            seen.TrySetResult((isUpgrade, await Record.ExceptionAsync(() => WebSocketTransformer.UpgradeAsync(request))));
        });

        // RFC 6455 §4.2.1: the key appears once; two would be joined into one that neither client computed an answer for.
        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\r\n");

        Assert.Equal(400, response.Status);
        var (isUpgrade, failure) = await seen.Task.WaitAsync(HttpTesting.Timeout);
        Assert.False(isUpgrade);
        Assert.IsType<WebSocketException>(failure);
    }

    [Fact]
    public async Task UpgradeAsync_Enumerated_KeepsTheConnectionUntilTheWebSocketCloses()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var serving = Task.Run(async () =>
        {
            await foreach (var request in server)
            {
                var socket = await WebSocketTransformer.UpgradeAsync(request);
                _ = Task.Run(async () =>
                {
                    var buffer = new byte[1024];
                    var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    socket.Dispose();
                });
            }
        });
        using var client = new ClientWebSocket();

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), CancellationToken.None).WaitAsync(HttpTesting.Timeout);
        var echoed = await EchoAsync(client, "through the loop");

        Assert.Equal("through the loop", echoed);
        await server.CloseAsync();
        await server.Done.WaitAsync(HttpTesting.Timeout);
        await serving.WaitAsync(HttpTesting.Timeout);
    }
}
