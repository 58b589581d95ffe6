using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

public class SocketConnectionTests
{
    [Fact]
    public async Task ConnectAsync_ToAServer_BothEndsSeeTheRealEndpoints()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();

        await using var client = await SocketConnection.ConnectAsync("127.0.0.1", server.Port).Within();
        var accepted = (await accept.Within())!;

        Assert.Equal(server.Port, client.RemotePort);
        Assert.Equal(server.Port, accepted.Port);
        Assert.Equal(client.Port, accepted.RemotePort);
        Assert.Equal(InternetAddress.LoopbackIPv4, client.RemoteAddress);
        Assert.Equal(InternetAddress.LoopbackIPv4, accepted.Address);
        Assert.Equal(InternetAddress.LoopbackIPv4, accepted.RemoteAddress);
        accepted.Destroy();
    }

    [Fact]
    public async Task ConnectAsync_HostName_TriesTheLookupResults()
    {
        await using var server = await ServerSocket.BindAsync("localhost", 0).Within();
        var echo = Loopback.EchoAllAsync(server);

        await using var client = await SocketConnection.ConnectAsync("localhost", server.Port).Within();
        await client.Stream.WriteAsync("named"u8.ToArray());
        await client.CloseAsync();

        Assert.Equal("named", await Loopback.ReadToEndAsync(client.Stream));
    }

    [Fact]
    public async Task ConnectAsync_FromASourcePort_ServerSeesThatPort()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var sourcePort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose();
        var accept = server.AcceptAsync();

        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port,
            sourceAddress: InternetAddress.LoopbackIPv4, sourcePort: sourcePort).Within();

        Assert.Equal(sourcePort, client.Port);
        var accepted = (await accept.Within())!;
        Assert.Equal(sourcePort, accepted.RemotePort);
        accepted.Destroy();
    }

    [Fact]
    public async Task ConnectAsync_NobodyListening_FailsNamingHostPortAndOsError()
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var port = server.Port;
        await server.CloseAsync();

        var error = await Assert.ThrowsAsync<NetworkException>(() => SocketConnection.ConnectAsync("127.0.0.1", port));

        Assert.Equal(111, error.OSError!.ErrorCode);
        Assert.Equal($"Connection refused (OS Error: Connection refused, errno = 111), address = 127.0.0.1, port = {port}", error.Message);
    }

    [Fact]
    public async Task ConnectAsync_PeerNeverCompletesTheHandshake_TimesOut()
    {
        // A listener with a full backlog drops new SYNs, so the connect waits until our timeout.
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, backlog: 1).Within();
        var fillers = new List<Socket>();
        NetworkException? error = null;
        for (var i = 0; i < 64 && error is null; i++)
        {
            try
            {
                var connection = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port, timeout: TimeSpan.FromMilliseconds(300));
                fillers.Add(connection.Socket);
            }
            catch (NetworkException ex)
            {
                error = ex;
            }
        }

        Assert.NotNull(error);
        Assert.Equal("Connection timed out", error.Reason);
        Assert.Equal(110, error.OSError!.ErrorCode);
        Assert.Equal(server.Port, error.Port);
        fillers.ForEach(s => s.Dispose());
    }

    [Fact]
    public void ConnectAsync_BadArguments_ThrowSynchronously()
    {
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SocketConnection.ConnectAsync("localhost", 70000); }).ParamName);
        Assert.Equal("sourcePort", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SocketConnection.ConnectAsync("localhost", 1, sourcePort: -1); }).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SocketConnection.ConnectAsync("localhost", 1, timeout: TimeSpan.Zero); }).ParamName);
        Assert.Equal("host", Assert.Throws<ArgumentNullException>(() => { _ = SocketConnection.ConnectAsync((string)null!, 1); }).ParamName);
    }

    [Fact]
    public async Task CloseAsync_ByTheServer_HalfClosesSoTheClientCanStillSend()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
        var accepted = (await accept.Within())!;

        await accepted.Stream.WriteAsync("bye"u8.ToArray());
        await accepted.CloseAsync().Within();
        Assert.Equal("bye", await Loopback.ReadToEndAsync(client.Stream)); // the client reads end-of-stream
        Assert.False(accepted.Done.IsCompleted, "Done must wait for the other direction.");

        await client.Stream.WriteAsync("late reply"u8.ToArray()); // and may still send
        await client.CloseAsync().Within();
        Assert.Equal("late reply", await Loopback.ReadToEndAsync(accepted.Stream));

        await accepted.Done.Within();
        await client.Done.Within();
    }

    [Fact]
    public async Task CloseAsync_ByTheClient_ServerReadsEndOfStreamAndStillAnswers()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
        var accepted = (await accept.Within())!;

        await client.Stream.WriteAsync("question"u8.ToArray());
        await client.CloseAsync().Within();
        var question = await Loopback.ReadToEndAsync(accepted.Stream);
        await accepted.Stream.WriteAsync(Encoding.UTF8.GetBytes($"answer to {question}"));
        await accepted.CloseAsync().Within();

        Assert.Equal("answer to question", await Loopback.ReadToEndAsync(client.Stream));
        await Task.WhenAll(accepted.Done, client.Done).Within();
    }

    [Fact]
    public async Task Destroy_ClosesBothWaysAtOnce()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
        var accepted = (await accept.Within())!;

        accepted.Destroy();

        await accepted.Done.Within();
        var read = await client.Stream.ReadAsync(new byte[16]).AsTask().Within();
        Assert.Equal(0, read);
        await Assert.ThrowsAnyAsync<Exception>(() => accepted.Stream.WriteAsync(new byte[1]).AsTask());
    }

    [Fact]
    public async Task SetOption_TcpNoDelay_AppliesToTcpConnections()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();

        Assert.True(client.SetOption(SocketOption.TcpNoDelay, true));
        Assert.True(client.Socket.NoDelay);
        Assert.True(client.SetOption(SocketOption.TcpNoDelay, false));
        Assert.False(client.Socket.NoDelay);
        (await accept.Within())!.Destroy();
    }
}
