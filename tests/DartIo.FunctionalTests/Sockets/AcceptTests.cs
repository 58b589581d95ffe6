using System.Net;
using System.Net.Sockets;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

public class AcceptTests
{
    [Fact]
    public async Task GetAsyncEnumerator_Twice_ThrowsInvalidOperation()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        await using var first = server.GetAsyncEnumerator();

        Assert.Throws<InvalidOperationException>(() => server.GetAsyncEnumerator());
    }

    [Fact]
    public async Task Enumeration_EndedEarly_ClosesTheServer()
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);

        await foreach (var connection in server)
        {
            connection.Destroy();
            break;
        }

        Assert.Null(await server.AcceptAsync().Within());
        await using var again = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
    }

    [Fact]
    public async Task Enumeration_OfAClosedServer_EndsAtOnceWithNoItems()
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        await server.CloseAsync();

        var count = 0;
        await foreach (var unused in server)
        {
            count++;
        }

        Assert.Equal(0, count);
    }

    [Fact]
    public async Task CloseAsync_WithAcceptsPending_CompletesThemWithNull()
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var pending = new[] { server.AcceptAsync().AsTask(), server.AcceptAsync().AsTask() };

        await server.CloseAsync().Within();

        Assert.All(await Task.WhenAll(pending).Within(), Assert.Null);
        Assert.Null(await server.AcceptAsync().Within());
    }

    [Fact]
    public async Task CloseAsync_Twice_IsQuietAndPortStillAnswers()
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var port = server.Port;

        await server.CloseAsync().Within();
        await server.CloseAsync().Within();
        await server.DisposeAsync();

        Assert.Equal(port, server.Port);
        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectRawAsync(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task AcceptAsync_SeveralPending_EachGetsItsOwnConnection()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accepts = Enumerable.Range(0, 5).Select(_ => server.AcceptAsync().AsTask()).ToArray();

        var clients = new List<Socket>();
        for (var i = 0; i < 5; i++)
        {
            clients.Add(await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port));
        }

        var accepted = await Task.WhenAll(accepts).Within();
        Assert.Equal(5, accepted.Select(c => c!.RemotePort).Distinct().Count());
        Assert.Equal(clients.Select(c => ((IPEndPoint)c.LocalEndPoint!).Port).Order(), accepted.Select(c => c!.RemotePort).Order());
        foreach (var connection in accepted)
        {
            connection!.Destroy();
        }

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task AcceptAsync_Cancelled_LosesNoConnection()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        using var cancel = new CancellationTokenSource();
        var cancelled = server.AcceptAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask());

        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        var accepted = await server.AcceptAsync().Within();

        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, accepted!.RemotePort);
        accepted.Destroy();
    }

    [Fact]
    public async Task Accepting_AfterAClientResetInTheBacklog_GoesOn()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        using (var rude = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port))
        {
            rude.LingerState = new LingerOption(true, 0); // close with RST while still in the backlog
        }

        var echo = Loopback.EchoAllAsync(server);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("fine", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port), "fine"));
        }
    }

    [Fact]
    public async Task Accepting_TwoHundredConcurrentClients_EchoesEveryOne()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var echo = Loopback.EchoAllAsync(server);

        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port), $"message {i}")))).Within();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"message {i}"), replies);
        await server.CloseAsync();
        await echo.Within();
    }
}
