using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

public class SharedTests
{
    private const string SharedText =
        "The shared flag to bind() needs to be true if binding multiple times on the same (address, port) combination.";

    private const string V6OnlyText =
        "The v6Only flag to bind() needs to be the same if binding multiple times on the same (address, port) combination.";

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task BindAsync_SamePortWithoutSharedOnBoth_FailsWithDartsText(bool firstShared, bool secondShared)
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: firstShared).Within();

        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync("127.0.0.1", first.Port, shared: secondShared));

        Assert.Equal("Failed to create server socket", error.Reason);
        Assert.Equal(SharedText, error.OSError!.Message);
        Assert.Equal(OSError.NoErrorCode, error.OSError.ErrorCode);
        Assert.Equal(first.Port, error.Port);
        Assert.Equal(InternetAddress.LoopbackIPv4, error.Address);
    }

    [Fact]
    public async Task BindAsync_SharedWithOtherV6Only_FailsWithDartsTextEvenForIPv4()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();

        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync("127.0.0.1", first.Port, v6Only: true, shared: true));

        Assert.Equal(V6OnlyText, error.OSError!.Message);
    }

    [Fact]
    public async Task BindAsync_SharedOnPortZero_NeverShares()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var second = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();

        Assert.NotEqual(first.Port, second.Port);
    }

    [Fact]
    public async Task BindAsync_SharedUnderAnotherSpellingOfTheAddress_JoinsTheSameSocket()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var second = await ServerSocket.BindAsync(InternetAddress.FromRawAddress([127, 0, 0, 1]), first.Port, shared: true).Within();

        Assert.Equal(first.Port, second.Port);
        var accept = second.AcceptAsync();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port);
        (await accept.Within())!.Destroy();
    }

    [Fact]
    public async Task Shared_OnlyTheSharerThatAsks_GetsConnections()
    {
        await using var asking = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var idle = await ServerSocket.BindAsync("127.0.0.1", asking.Port, shared: true).Within();
        var served = 0;
        var loop = Task.Run(async () =>
        {
            await foreach (var connection in asking)
            {
                Interlocked.Increment(ref served);
                await Loopback.EchoAsync(connection);
            }
        });

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("x", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, asking.Port), "x"));
        }

        Assert.Equal(20, served);
        var late = idle.AcceptAsync();
        Assert.False(late.IsCompleted, "A connection was kept for the sharer that never asked.");
    }

    [Theory]
    [InlineData(2, 300)]
    [InlineData(4, 400)]
    public async Task Shared_SharersThatAsk_AreServedInTurn(int sharers, int connections)
    {
        var servers = new List<ServerSocket> { await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within() };
        for (var i = 1; i < sharers; i++)
        {
            servers.Add(await ServerSocket.BindAsync("127.0.0.1", servers[0].Port, shared: true).Within());
        }

        var counts = new int[sharers];
        var loops = servers.Select((server, index) => Task.Run(async () =>
        {
            await foreach (var connection in server)
            {
                Interlocked.Increment(ref counts[index]);
                _ = Loopback.EchoAsync(connection);
            }
        })).ToArray();

        for (var batch = 0; batch < connections / 20; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
                Assert.Equal("hi", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, servers[0].Port), "hi"))));
        }

        foreach (var server in servers)
        {
            await server.CloseAsync().Within();
        }

        await Task.WhenAll(loops).Within();
        Assert.Equal(connections, counts.Sum());
        var fair = connections / (double)sharers;
        foreach (var count in counts)
        {
            // Two sharers: each 40-60%. Four: each within 10 points of 25%.
            Assert.InRange(count, fair - (0.1 * connections), fair + (0.1 * connections));
        }
    }

    [Fact]
    public async Task Shared_ClosingOneSharer_LeavesTheOthersServing()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        var secondLoop = Loopback.EchoAllAsync(second);
        var firstLoop = Loopback.EchoAllAsync(first);

        await second.CloseAsync().Within();
        await secondLoop.Within(); // its enumeration ended

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("still", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port), "still"));
        }
    }

    [Fact]
    public async Task Shared_SharersClosingWhileHundredsConnect_ServeEveryClient()
    {
        const int sharers = 6;
        const int clients = 300;
        var servers = new List<ServerSocket> { await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within() };
        for (var i = 1; i < sharers; i++)
        {
            servers.Add(await ServerSocket.BindAsync("127.0.0.1", servers[0].Port, shared: true).Within());
        }

        var loops = servers.Select(Loopback.EchoAllAsync).ToArray();
        var port = servers[0].Port;
        var clientTasks = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
            await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, port), $"client {i}"))).ToArray();

        // Close all but the last sharer while the clients are connecting.
        for (var i = 0; i < sharers - 1; i++)
        {
            await Task.Yield();
            await servers[i].CloseAsync().Within();
        }

        var replies = await Task.WhenAll(clientTasks).Within();
        Assert.Equal(Enumerable.Range(0, clients).Select(i => $"client {i}"), replies);

        await servers[^1].CloseAsync().Within();
        await Task.WhenAll(loops).Within();
    }

    [Fact]
    public async Task Shared_AfterTheLastSharerCloses_ThePortCanBeBoundAgainUnshared()
    {
        var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();

        await first.CloseAsync().Within();
        await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync("127.0.0.1", first.Port));
        await second.CloseAsync().Within();

        await using var again = await ServerSocket.BindAsync("127.0.0.1", first.Port).Within();
        Assert.Equal(first.Port, again.Port);
    }

    [Fact]
    public async Task Shared_ConnectionAcceptedForACancelledAsker_GoesToTheNextAsker()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        using var cancel = new CancellationTokenSource();
        var cancelled = first.AcceptAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask());

        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port);
        var accepted = await second.AcceptAsync().Within();

        Assert.NotNull(accepted);
        accepted!.Destroy();
    }

    [Fact]
    public async Task Shared_ManyConcurrentClients_AreAllEchoed()
    {
        var servers = new[] { await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within() }.ToList();
        servers.Add(await ServerSocket.BindAsync("127.0.0.1", servers[0].Port, shared: true).Within());
        var loops = servers.Select(Loopback.EchoAllAsync).ToArray();
        var replies = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            replies.Add(await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, servers[0].Port), $"m{i}"))))).Within();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}").Order(), replies.Order());
        foreach (var server in servers)
        {
            await server.CloseAsync();
        }

        await Task.WhenAll(loops).Within();
    }

    [Fact]
    public async Task Shared_BurstBeforeAnyLoopBodyRuns_IsDealtInStrictTurn()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        await using var a = first.GetAsyncEnumerator();  // subscribed: both ask from now on,
        await using var b = second.GetAsyncEnumerator(); // though neither loop has taken anything yet

        var clients = new List<Socket>();
        for (var i = 0; i < 64; i++)
        {
            clients.Add(await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port));
        }

        // Each sharer must get exactly half of the burst: a 33rd MoveNext on either would wait forever.
        foreach (var enumerator in new[] { a, b })
        {
            for (var i = 0; i < 32; i++)
            {
                Assert.True(await enumerator.MoveNextAsync().AsTask().Within());
                enumerator.Current.Destroy();
            }
        }

        clients.ForEach(c => c.Dispose());
    }
}

