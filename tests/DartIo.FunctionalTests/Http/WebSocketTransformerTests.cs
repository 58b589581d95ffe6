using System.Net.WebSockets;
using System.Text;

namespace DartIo.FunctionalTests.Http;

public sealed class WebSocketTransformerTests
{
    private static async Task<HttpServer> EchoServerAsync(Func<IReadOnlyList<string>, string?>? selector = null, bool compression = true)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            if (!WebSocketTransformer.IsUpgradeRequest(request))
            {
                request.Response.StatusCode = 426;
                return;
            }

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
        var buffer = new byte[64 * 1024];
        var received = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(HttpTesting.Timeout);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
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
