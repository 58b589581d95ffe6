using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using static DartIo.FunctionalTests.Http.HttpResponseDetachTests;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// <see cref="HttpResponse.DetachSocketAsync"/> against a hostile client and a careless handler: HTTP pipelined behind
/// the upgrade, a keep-alive connection, a reset before the detach, a detached socket never closed. Nothing may log
/// at Error (SPEC 12).
/// </summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class HttpResponseDetachHostileTests
{
    private const string UpgradeRequest = "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n";

    [Fact]
    public async Task DetachSocketAsync_AfterAKeepAliveRequestWithHttpPipelinedBehind_TheHttpIsRawBytesOfTheNewProtocol()
    {
        using var capture = new LogCapture();
        var served = 0;
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        const string Pipelined = "GET /after HTTP/1.1\r\nHost: x\r\n\r\n";
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            Interlocked.Increment(ref served);
            if (request.Path != "/echo")
            {
                request.Response.Write("plain");
                return;
            }

            var socket = await SwitchAsync(request);
            var buffer = new byte[Pipelined.Length];
            await socket.Stream.ReadExactlyAsync(buffer);
            received.TrySetResult(Encoding.ASCII.GetString(buffer));
            await socket.Stream.WriteAsync("done"u8.ToArray());
            await socket.CloseAsync();
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
        var first = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200 ", first, StringComparison.Ordinal);
        Assert.Equal("plain", await ReadTextAsync(stream, ContentLength(first)));

        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest + Pipelined)); // one write: the server sees both at once
        Assert.StartsWith("HTTP/1.1 101 ", await ReadHeadAsync(stream), StringComparison.Ordinal);

        Assert.Equal(Pipelined, await received.Task.Within());
        Assert.Equal("done", await ReadTextAsync(stream, 4));
        Assert.True(await ClosedAsync(stream).Within());
        Assert.Equal(2, served); // the pipelined request was never served as HTTP
        await server.CloseAsync().Within();
        await server.Done.Within();
        Assert.Empty(capture.Errors);
    }

    [Fact]
    public async Task DetachSocketAsync_ClientResetBeforeTheDetach_EndsQuietly()
    {
        using var capture = new LogCapture();
        var reset = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            arrived.TrySetResult();
            await reset.Task;
            SocketConnection socket;
            try
            {
                socket = await SwitchAsync(request);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                outcome.TrySetResult("threw");
                throw; // as a handler that does not catch it: the server must take it as the client's doing
            }

            try
            {
                var read = await socket.Stream.ReadAsync(new byte[16]);
                outcome.TrySetResult(read == 0 ? "ended" : "read");
            }
            catch (IOException)
            {
                outcome.TrySetResult("ended");
            }
        });

        var client = await ConnectAsync(server.Port);
        await client.SendAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        await arrived.Task.Within();
        client.LingerState = new LingerOption(true, 0);
        client.Dispose(); // a reset while the handler is still deciding
        reset.TrySetResult();

        Assert.Contains(await outcome.Task.Within(), new[] { "threw", "ended" });
        await server.CloseAsync().Within();
        await server.Done.Within();
        Assert.Empty(capture.Errors);
    }

    [Fact]
    public async Task CloseAsync_HandlerDroppedItsDetachedSocket_ForcedCloseStillEndsTheServer()
    {
        using var capture = new LogCapture();
        var detached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            _ = await SwitchAsync(request); // never closed, never kept: a careless handler
            detached.TrySetResult();
        });

        using var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        await ReadHeadAsync(stream);
        await detached.Task.Within();
        GC.Collect(); // the dropped SocketConnection must not be what keeps (or ends) the connection
        GC.WaitForPendingFinalizers();

        await server.CloseAsync().Within();
        Assert.False(server.Done.IsCompleted); // graceful: the detached connection is waited for
        await server.CloseAsync(force: true).Within();
        await server.Done.Within();
        Assert.True(await ClosedAsync(stream).Within());
        Assert.Empty(capture.Errors);
    }

    [Fact]
    public async Task DetachSocketAsync_ClientResetsWhileTheHandlerReadsWithoutCatching_NothingAtError()
    {
        using var capture = new LogCapture();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            try
            {
                var socket = await SwitchAsync(request);
                var buffer = new byte[16];
                reading.TrySetResult();
                while (await socket.Stream.ReadAsync(buffer) > 0)
                {
                }

                await socket.Stream.WriteAsync(new byte[1 << 20]); // to a client that is gone: fails, uncaught
                await socket.Stream.FlushAsync();
            }
            finally
            {
                ended.TrySetResult();
            }
        });

        var client = await ConnectAsync(server.Port);
        var stream = new NetworkStream(client, ownsSocket: true);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(UpgradeRequest));
        await ReadHeadAsync(stream);
        await reading.Task.Within();
        client.LingerState = new LingerOption(true, 0);
        stream.Dispose();

        await ended.Task.Within();
        await server.CloseAsync().Within();
        await server.Done.Within();
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
    }

    [Theory]
    [InlineData("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo/1\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: echo/1\r\nContent-Length: 3\r\n\r\nabc")]
    public async Task DetachSocketAsync_ClientAsksNoUpgradeAndTheHandlerLetsItEscape_400AndNothingAtError(string request)
    {
        // A crawler or a scanner on an upgrade endpoint: the refusal is the client's doing, so the handler that does not
        // check first is answered as WebSocketTransformer answers it (400), logged at Debug, never a 500 and an Error line
        // per request (SPEC 12).
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            await using var socket = await SwitchAsync(request);
        });

        var answer = await HttpTesting.SendAsync(server.Port, request);

        Assert.Equal(400, answer.Status);
        Assert.Null(answer.Header("Upgrade"));
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Contains(capture.Logs.Entries, e => e.Event.Name == "UpgradeRefused" && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug);
    }

    [Fact]
    public async Task DetachSocketAsync_Http2ClientAndTheHandlerLetsItEscape_400OnTheStreamAndNothingAtError()
    {
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(async request =>
        {
            await using var socket = await SwitchAsync(request);
        });

        using var client = HttpServerSecureTests.SecureClient();
        for (var i = 0; i < 2; i++) // the connection serves on: only the stream was refused
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/echo")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.SendAsync(message).Within();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
    }

    [Fact]
    public async Task DetachSocketAsync_HandlersOwnMistakeEscapes_StillA500AndAnError()
    {
        // The other side of the line: a handler that never set 101 is the application's bug, and stays loud.
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            await using var socket = await request.Response.DetachSocketAsync();
        });

        var answer = await HttpTesting.SendAsync(server.Port, UpgradeRequest.Replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", StringComparison.Ordinal));

        Assert.Equal(500, answer.Status);
        Assert.Single(capture.Errors);
    }

    [Fact]
    public async Task WebSocketUpgradeAsync_PlainGetAndTheHandlerLetsItEscape_400AndNothingAtError()
    {
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            using var socket = await WebSocketTransformer.UpgradeAsync(request);
        });

        var answer = await HttpTesting.SendAsync(server.Port, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(400, answer.Status);
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Contains(capture.Logs.Entries, e => e.Event.Name == "UpgradeRefused" && e.Level == Microsoft.Extensions.Logging.LogLevel.Debug);
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no Content-Length in " + head);
    }
}
