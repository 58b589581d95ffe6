using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

public sealed class HttpServerBindTests
{
    private static Task Hello(HttpRequest request)
    {
        request.Response.Write("hello");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task BindAsync_PortZero_ServesOnTheReportedEphemeralPort()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0);
        server.Listen(Hello);

        Assert.InRange(server.Port, 1, 65534);
        using var client = HttpTesting.Client();
        Assert.Equal("hello", await client.GetStringAsync(HttpTesting.Url(server)));
    }

    [Fact]
    public async Task BindAsync_HostName_KeepsTheStringAsAddressHost()
    {
        await using var server = await HttpServer.BindAsync("localhost", 0);

        Assert.Equal("localhost", server.Address.Host);
        Assert.True(server.Address.IsLoopback);
    }

    [Fact]
    public async Task BindAsync_PortInUse_FailsWithNetworkException()
    {
        await using var first = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);

        var error = await Assert.ThrowsAsync<NetworkException>(() => HttpServer.BindAsync(InternetAddress.LoopbackIPv4, first.Port));
        Assert.Equal(first.Port, error.Port);
    }

    [Fact]
    public async Task BindAsync_CancelledToken_BindsNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0, cancellationToken: cancelled.Token));
    }

    [IPv6Fact]
    public async Task BindAsync_AnyIPv6_ServesIPv4ClientsAsMappedAddresses()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.AnyIPv6, 0);
        var remote = new TaskCompletionSource<InternetAddress>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(request =>
        {
            remote.TrySetResult(request.ConnectionInfo!.RemoteAddress);
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, response.Status);
        var address = await remote.Task.WaitAsync(HttpTesting.Timeout);
        Assert.Equal(InternetAddressType.IPv6, address.Type);
        Assert.Equal("::ffff:127.0.0.1", address.Address);
    }

    [Fact]
    public async Task BindAsync_SharedPairWhereOnlyOneListens_ListenerGetsEveryRequest()
    {
        await using var listening = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0, shared: true);
        await using var idle = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, listening.Port, shared: true);
        var served = 0;
        listening.Listen(request =>
        {
            Interlocked.Increment(ref served);
            return Task.CompletedTask;
        });

        for (var i = 0; i < 20; i++)
        {
            var response = await HttpTesting.SendAsync(listening.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Assert.Equal(200, response.Status);
        }

        Assert.Equal(20, served);
    }

    [Fact]
    public async Task BindAsync_SharedPairBothListening_SpreadsConnectionsOverBoth()
    {
        await using var first = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0, shared: true);
        await using var second = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, first.Port, shared: true);
        int servedByFirst = 0, servedBySecond = 0;
        first.Listen(_ => { Interlocked.Increment(ref servedByFirst); return Task.CompletedTask; });
        second.Listen(_ => { Interlocked.Increment(ref servedBySecond); return Task.CompletedTask; });

        for (var i = 0; i < 20; i++)
        {
            await HttpTesting.SendAsync(first.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        }

        Assert.Equal(20, servedByFirst + servedBySecond);
        Assert.InRange(servedByFirst, 5, 15);
    }

    [Fact]
    public async Task BindAsync_SharedWithoutFlag_FailsWithDartsMessage()
    {
        await using var first = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0, shared: true);

        var error = await Assert.ThrowsAsync<NetworkException>(() => HttpServer.BindAsync(InternetAddress.LoopbackIPv4, first.Port));
        Assert.Contains("shared flag", error.OSError!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_NotYetCalled_AcceptsNothingUntilItIs()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        using var connection = await HttpTesting.ConnectAsync(server.Port); // completes from the OS backlog
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var reading = connection.ReadResponseAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => reading.WaitAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, server.ConnectionsInfo().Total);

        server.Listen(Hello);
        var response = await reading.WaitAsync(HttpTesting.Timeout);
        Assert.Equal("hello", response.Text);
    }

    [Fact]
    public async Task Listen_SecondSubscription_ThrowsInvalidOperationException()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(Hello);

        Assert.Throws<InvalidOperationException>(() => server.Listen(Hello));
        Assert.Throws<InvalidOperationException>(() => server.GetAsyncEnumerator());
    }

    [Fact]
    public async Task PortAndAddress_AfterClose_ThrowHttpException()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var port = server.Port;

        await server.CloseAsync();

        Assert.Throws<HttpException>(() => server.Port);
        Assert.Throws<HttpException>(() => server.Address);
        await using var again = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, port); // the port is free again
    }

    [Fact]
    public async Task CloseAsync_Twice_CompletesBothTimes()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);

        await server.CloseAsync().WaitAsync(HttpTesting.Timeout);
        await server.CloseAsync().WaitAsync(HttpTesting.Timeout);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task ListenOn_ServerClosed_LeavesTheSocketOpenForTheNextServer()
    {
        await using var socket = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var first = HttpServer.ListenOn(socket);
        first.Listen(request => { request.Response.Write("first"); return Task.CompletedTask; });
        var firstResponse = await HttpTesting.SendAsync(socket.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        await first.CloseAsync();
        await using var second = HttpServer.ListenOn(socket);
        second.Listen(request => { request.Response.Write("second"); return Task.CompletedTask; });
        var secondResponse = await HttpTesting.SendAsync(socket.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal("first", firstResponse.Text);
        Assert.Equal("second", secondResponse.Text);
        Assert.Equal(socket.Port, second.Port);
    }
}
