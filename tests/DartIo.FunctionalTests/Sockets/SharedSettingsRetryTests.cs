using System.Net;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// A server whose socket-wide settings conflict with the shared socket's is refused when it starts; its settings are
/// not fixed then, so a careless user who corrects them and starts again must be served, not told "already subscribed".
/// </summary>
public sealed class SharedSettingsRetryTests
{
    [Fact]
    public async Task GetAsyncEnumerator_AfterConflictCorrected_Enumerates()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        first.MaxConnectionsPerAddress = 2;
        await using var firstLoop = first.GetAsyncEnumerator();
        await using var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        second.MaxConnectionsPerAddress = 3;
        Assert.Throws<InvalidOperationException>(() => second.GetAsyncEnumerator());

        second.MaxConnectionsPerAddress = 2;
        await using var secondLoop = second.GetAsyncEnumerator(); // threw "already subscribed" before the fix

        using var a = await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port);
        using var b = await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port);
        Assert.True(await firstLoop.MoveNextAsync().AsTask().Within());
        Assert.True(await secondLoop.MoveNextAsync().AsTask().Within());
    }

    [Fact]
    public async Task SecureGetAsyncEnumerator_AfterConflictCorrected_Enumerates()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        first.ProxyProtocol = ProxyProtocolMode.Optional;
        var pending = first.AcceptAsync().AsTask(); // fixes the socket's settings
        await using var second = await SecureServerSocket.BindAsync("127.0.0.1", first.Port, Tests.Tls.TestCertificates.ServerContext(),
            shared: true).Within();
        second.ProxyProtocol = ProxyProtocolMode.Required;
        Assert.Throws<InvalidOperationException>(() => second.GetAsyncEnumerator());

        second.ProxyProtocol = ProxyProtocolMode.Optional;
        await using var loop = second.GetAsyncEnumerator(); // threw "already subscribed" before the fix
        await first.CloseAsync().Within();
        Assert.Null(await pending.Within());
    }

    [Fact]
    public async Task HttpServerListen_AfterConflictCorrected_Serves()
    {
        await using var first = await HttpServer.BindAsync("127.0.0.1", 0, shared: true).Within();
        first.MaxConnectionsPerAddress = 20; // far above what the test opens: a place comes back only after Kestrel let go
        first.Listen(request => { request.Response.Write("first"); return Task.CompletedTask; });
        await using var second = await HttpServer.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        second.MaxConnectionsPerAddress = 30;
        Assert.Throws<InvalidOperationException>(() => second.Listen(_ => Task.CompletedTask));

        second.MaxConnectionsPerAddress = 20;
        second.Listen(request => { request.Response.Write("second"); return Task.CompletedTask; }); // threw before the fix

        var bodies = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            bodies.Add((await HttpTesting.SendAsync(first.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).Text);
        }

        Assert.Equal(["first", "second"], bodies.Order());
    }

    [Fact]
    public async Task ListenOn_SocketWithConflictingSettings_ListenThrows()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        first.ProxyProtocol = ProxyProtocolMode.Required;
        var pending = first.AcceptAsync().AsTask(); // fixes the socket's settings
        await using var given = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        given.ProxyProtocol = ProxyProtocolMode.Optional;
        await using var server = HttpServer.ListenOn(given);

        Assert.Throws<InvalidOperationException>(() => server.Listen(_ => Task.CompletedTask)); // not a silent stop in Kestrel's accept loop

        await first.CloseAsync().Within();
        Assert.Null(await pending.Within());
    }
}
