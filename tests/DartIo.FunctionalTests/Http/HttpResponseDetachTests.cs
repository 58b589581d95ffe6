using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary><see cref="HttpResponse.DetachSocketAsync"/>: a custom upgrade over the detached connection, and its misuses.</summary>
public sealed class HttpResponseDetachTests
{
    private const string UpgradeRequest = "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n";

    [Fact]
    public async Task DetachSocketAsync_CustomUpgrade_EchoesOverTheDetachedSocket()
    {
        var detached = new TaskCompletionSource<SocketConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            request.Response.Cookies.Add(new Cookie("session", "s1"));
            var socket = await SwitchAsync(request);
            detached.TrySetResult(socket);
            await EchoAsync(socket);
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest + "early")); // bytes right behind the request reach the new protocol
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 101 ", head, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: echo/1\r\n", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nConnection: Upgrade\r\n", head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Content-Length", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nSet-Cookie: session=s1", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("early", await ReadTextAsync(stream, 5));

        var socket = await detached.Task.Within();
        Assert.IsNotType<SecureSocketConnection>(socket);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, socket.RemotePort);
        Assert.Equal(server.Port, socket.Port);
        Assert.Equal(0, server.ConnectionsInfo().Total); // the application's now, not the server's

        await stream.WriteAsync("hello"u8.ToArray());
        Assert.Equal("hello", await ReadTextAsync(stream, 5));

        client.Shutdown(SocketShutdown.Send); // the echo ends, and closes its side
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().Within());
        await socket.Done.Within();
        await server.CloseAsync().Within();
        await server.Done.Within();
    }

    [Theory]
    [InlineData("no101", UpgradeRequest, typeof(InvalidOperationException))]
    [InlineData("noUpgradeHeader", UpgradeRequest, typeof(InvalidOperationException))]
    [InlineData("noUpgradeAsked", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", typeof(InvalidOperationException))]
    [InlineData("http10", "GET / HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n", typeof(InvalidOperationException))]
    [InlineData("afterWrite", UpgradeRequest, typeof(InvalidOperationException))]
    [InlineData("withoutHeaders", UpgradeRequest, typeof(NotSupportedException))]
    public async Task DetachSocketAsync_Misused_ThrowsAndTheResponseGoesOn(string misuse, string request, Type expected)
    {
        var thrown = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            var response = request.Response;
            if (misuse != "no101")
            {
                response.StatusCode = 101;
            }

            if (misuse != "noUpgradeHeader")
            {
                response.Headers.Set("Upgrade", "echo/1");
            }

            if (misuse == "afterWrite")
            {
                response.StatusCode = 200;
                response.Headers.RemoveAll("Upgrade");
                response.Write("body");
                await response.FlushAsync();
            }

            thrown.TrySetResult(await Record.ExceptionAsync(() => response.DetachSocketAsync(writeHeaders: misuse != "withoutHeaders")));
            if (misuse != "afterWrite")
            {
                response.StatusCode = 200; // still an ordinary response
                response.Headers.RemoveAll("Upgrade");
            }
        });

        var answer = await HttpTesting.SendAsync(server.Port, request);

        var exception = await thrown.Task.Within();
        Assert.IsType(expected, exception);
        Assert.Equal(200, answer.Status);
    }

    [Fact]
    public async Task DetachSocketAsync_CalledTwice_ThrowsTheSecondTime()
    {
        var second = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            var socket = await SwitchAsync(request);
            second.TrySetResult(await Record.ExceptionAsync(() => request.Response.DetachSocketAsync()));
            await socket.CloseAsync();
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(stream), StringComparison.Ordinal);

        Assert.IsType<InvalidOperationException>(await second.Task.Within());
        Assert.Equal(0, await stream.ReadAsync(new byte[16]).AsTask().Within()); // CloseAsync ended the connection
    }

    [Fact]
    public async Task DetachSocketAsync_Http2_Throws()
    {
        var thrown = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(async request =>
        {
            request.Response.StatusCode = 101;
            request.Response.Headers.Set("Upgrade", "echo/1");
            thrown.TrySetResult(await Record.ExceptionAsync(() => request.Response.DetachSocketAsync()));
            request.Response.StatusCode = 200;
            request.Response.Headers.RemoveAll("Upgrade");
        });

        using var client = HttpServerSecureTests.SecureClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(message).Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.IsType<InvalidOperationException>(await thrown.Task.Within());
    }

    [Fact]
    public async Task DetachSocketAsync_OverHttps_ReturnsThePlainDecryptedConnection()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        var detached = new TaskCompletionSource<SocketConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            var socket = await SwitchAsync(request);
            detached.TrySetResult(socket);
            await EchoAsync(socket);
        });

        await using var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port).Within();
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(ssl), StringComparison.Ordinal);
        await ssl.WriteAsync("secret"u8.ToArray());

        Assert.Equal("secret", await ReadTextAsync(ssl, 6));
        Assert.IsNotType<SecureSocketConnection>(await detached.Task.Within());
    }

    [Fact]
    public async Task DetachSocketAsync_ClientGoesInTheMiddle_EndsTheReadAndTheConnection()
    {
        var ended = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var detached = new TaskCompletionSource<SocketConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            var socket = await SwitchAsync(request);
            detached.TrySetResult(socket);
            var buffer = new byte[64];
            var total = 0;
            try
            {
                int read;
                while ((read = await socket.Stream.ReadAsync(buffer)) > 0)
                {
                    total += read;
                }
            }
            catch (IOException)
            {
                // A reset: the same end, told differently.
            }

            ended.TrySetResult(total);
        });

        var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: true);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        await ReadHeadAsync(stream);
        await stream.WriteAsync("half a mess"u8.ToArray());
        var socket = await detached.Task.Within();
        client.LingerState = new LingerOption(true, 0); // a reset, as a crashed client
        stream.Dispose();

        Assert.InRange(await ended.Task.Within(), 0, 11);
        await socket.Done.Within(); // the server let go of the connection without the application closing it
        await server.CloseAsync().Within();
        await server.Done.Within();
    }

    [Fact]
    public async Task DetachSocketAsync_InAwaitForeachThenDestroyed_CutsTheClientAndFreesTheServer()
    {
        var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var serving = Task.Run(async () =>
        {
            await foreach (var request in server)
            {
                var socket = await SwitchAsync(request);
                var buffer = new byte[5];
                await socket.Stream.ReadExactlyAsync(buffer);
                socket.Destroy();
                await socket.Done;
                return;
            }
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(stream), StringComparison.Ordinal);
        await stream.WriteAsync("bye!!"u8.ToArray());

        Assert.True(await ClosedAsync(stream).Within());
        await serving.Within(); // leaving the loop closes the server
        await server.Done.Within();
    }

    [Fact]
    public async Task CloseAsync_DetachedSocketOpen_GracefulWaitsForItAndForceCutsIt()
    {
        var detached = new TaskCompletionSource<SocketConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            var socket = await SwitchAsync(request);
            detached.TrySetResult(socket);
            await EchoAsync(socket);
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        await ReadHeadAsync(stream);
        var socket = await detached.Task.Within();

        await server.CloseAsync().Within(); // the port is released ...
        await stream.WriteAsync("still"u8.ToArray());
        Assert.Equal("still", await ReadTextAsync(stream, 5)); // ... and the detached connection goes on
        Assert.False(server.Done.IsCompleted);

        await server.CloseAsync(force: true).Within();
        await server.Done.Within();
        await socket.Done.Within();
        Assert.True(await ClosedAsync(stream).Within());
    }

    /// <summary>What a handler of the custom protocol does: 101 with its Upgrade header, then the connection.</summary>
    internal static Task<SocketConnection> SwitchAsync(HttpRequest request)
    {
        request.Response.StatusCode = 101;
        request.Response.Headers.Set("Upgrade", "echo/1");
        return request.Response.DetachSocketAsync();
    }

    private static async Task EchoAsync(SocketConnection socket)
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.Stream.ReadAsync(buffer)) > 0)
            {
                await socket.Stream.WriteAsync(buffer.AsMemory(0, read));
                await socket.Stream.FlushAsync();
            }
        }
        catch (IOException)
        {
            // The connection was cut (a forced close).
        }

        await socket.CloseAsync();
    }

    internal static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(HttpTesting.Timeout);
        return socket;
    }

    /// <summary>Reads the response head byte by byte, so that nothing behind it is taken.</summary>
    internal static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one).AsTask().Within());
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    internal static async Task<string> ReadTextAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().Within();
        return Encoding.ASCII.GetString(buffer);
    }

    internal static async Task<bool> ClosedAsync(Stream stream)
    {
        try
        {
            return await stream.ReadAsync(new byte[16]) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
