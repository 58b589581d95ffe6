using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DartIo.FunctionalTests.Http;

public sealed class HttpServerLifecycleTests
{
    private const string KeepAliveRequest = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    [Fact]
    public async Task IdleTimeout_OneSecond_ClosesAnIdleConnectionAfterOneToTwoSeconds()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.IdleTimeout = TimeSpan.FromSeconds(1);
        server.Listen(_ => Task.CompletedTask);
        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync(KeepAliveRequest);
        await connection.ReadResponseAsync();
        var idle = Stopwatch.StartNew();

        Assert.True(await connection.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));

        // Dart: between one and two timeouts (Kestrel's once-a-second check is compensated); some slack for a busy machine.
        Assert.InRange(idle.Elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(2.75));
    }

    [Fact]
    public async Task IdleTimeout_Default_Is120Seconds()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);

        Assert.Equal(TimeSpan.FromSeconds(120), server.IdleTimeout);
        server.IdleTimeout = null;
        Assert.Null(server.IdleTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.IdleTimeout = TimeSpan.Zero);
    }

    [Fact]
    public async Task CloseAsync_Graceful_ClosesIdleConnectionsAndLetsActiveRequestsFinish()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var port = server.Port;
        server.Listen(async request =>
        {
            if (request.Uri.OriginalString == "/slow")
            {
                started.TrySetResult();
                await release.Task;
                request.Response.Write("finished");
            }
        });
        using var idle = await HttpTesting.ConnectAsync(port);
        await idle.SendAsync(KeepAliveRequest);
        await idle.ReadResponseAsync();
        using var active = await HttpTesting.ConnectAsync(port);
        await active.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await started.Task.WaitAsync(HttpTesting.Timeout);

        await server.CloseAsync().WaitAsync(HttpTesting.Timeout);

        Assert.True(await idle.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));
        await Assert.ThrowsAsync<SocketException>(() => HttpTesting.ConnectAsync(port));
        Assert.Equal(1, server.ConnectionsInfo().Closing);
        Assert.False(server.Done.IsCompleted);
        release.SetResult();
        var response = await active.ReadResponseAsync();
        Assert.Equal("finished", response.Text);
        Assert.True(await active.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));
        await server.Done.WaitAsync(HttpTesting.Timeout);
        Assert.Equal(0, server.ConnectionsInfo().Total);
    }

    [Fact]
    public async Task CloseAsync_Force_AbortsActiveRequests()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            request.Response.Write("partial");
            await request.Response.FlushAsync();
            started.TrySetResult();
            await Assert.ThrowsAsync<HttpException>(() => request.Response.Done);
            handlerSawAbort.TrySetResult();
        });
        using var active = await HttpTesting.ConnectAsync(server.Port);
        await active.SendAsync(KeepAliveRequest);
        await started.Task.WaitAsync(HttpTesting.Timeout);

        await server.CloseAsync(force: true).WaitAsync(HttpTesting.Timeout);

        await Assert.ThrowsAnyAsync<IOException>(() => active.ReadResponseAsync());
        await handlerSawAbort.Task.WaitAsync(HttpTesting.Timeout);
        await server.Done.WaitAsync(HttpTesting.Timeout);
    }

    [Fact]
    public async Task CloseAsync_ForceAfterGraceful_AbortsWhatTheGracefulCloseWaitsFor()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            started.TrySetResult();
            try
            {
                await request.Response.Done;
            }
            catch (HttpException)
            {
            }
        });
        using var active = await HttpTesting.ConnectAsync(server.Port);
        await active.SendAsync(KeepAliveRequest);
        await started.Task.WaitAsync(HttpTesting.Timeout);

        await server.CloseAsync().WaitAsync(HttpTesting.Timeout);
        Assert.False(server.Done.IsCompleted);
        await server.CloseAsync(force: true).WaitAsync(HttpTesting.Timeout);

        await server.Done.WaitAsync(HttpTesting.Timeout);
        Assert.True(await active.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task ConnectionsInfo_OneIdleOneActive_CountsEach()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(async request =>
        {
            if (request.Uri.OriginalString == "/slow")
            {
                started.TrySetResult();
                await release.Task;
            }
        });
        using var idle = await HttpTesting.ConnectAsync(server.Port);
        await idle.SendAsync(KeepAliveRequest);
        await idle.ReadResponseAsync();
        using var active = await HttpTesting.ConnectAsync(server.Port);
        await active.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await started.Task.WaitAsync(HttpTesting.Timeout);

        var info = server.ConnectionsInfo();
        release.SetResult();

        Assert.Equal((2, 1, 1, 0), (info.Total, info.Active, info.Idle, info.Closing));
    }

    [Fact]
    public async Task Enumeration_RequestsArrive_AreServedInTheLoop()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var port = server.Port;
        var serving = Task.Run(async () =>
        {
            var served = 0;
            await foreach (var request in server)
            {
                request.Response.Write($"request {++served}");
                await request.Response.CloseAsync();
                if (served == 3)
                {
                    break; // ends the subscription, which closes the server
                }
            }
        });
        using var client = HttpTesting.Client();

        var texts = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            texts.Add(await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/")));
        }

        await serving.WaitAsync(HttpTesting.Timeout);
        Assert.Equal(["request 1", "request 2", "request 3"], texts);
        Assert.Throws<HttpException>(() => server.Port);
    }

    [Fact]
    public async Task Enumeration_ClosedServer_EndsAtOnce()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        await server.CloseAsync();

        var count = 0;
        await foreach (var _ in server.WithCancellation(CancellationToken.None))
        {
            count++;
        }

        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Enumeration_ClientLeavesBeforeTheResponseIsClosed_DoesNotHoldTheServer()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var taken = new TaskCompletionSource<HttpRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serving = Task.Run(async () =>
        {
            await foreach (var request in server)
            {
                taken.TrySetResult(request); // never answered
            }
        });
        var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync(KeepAliveRequest);
        var request = await taken.Task.WaitAsync(HttpTesting.Timeout);

        connection.Dispose();
        await Assert.ThrowsAsync<HttpException>(() => request.Response.Done.WaitAsync(HttpTesting.Timeout));
        await server.CloseAsync();

        await server.Done.WaitAsync(HttpTesting.Timeout);
        await serving.WaitAsync(HttpTesting.Timeout);
    }
}
