using System.Net;
using System.Net.Sockets;
using DartIo.FunctionalTests.Support;
using DartIo.Internal.Listening;

namespace DartIo.FunctionalTests.Sockets;

public class BindTests
{
    [Fact]
    public async Task BindAsync_PortZero_ReportsTheEphemeralPortWhenTheTaskCompletes()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();

        Assert.InRange(server.Port, 1, 65534);
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        Assert.True(client.Connected);
    }

    [Fact]
    public async Task BindAsync_HostName_UsesTheFirstLookupResultAndKeepsTheName()
    {
        var first = (await InternetAddress.LookupAsync("localhost").Within())[0];

        await using var server = await ServerSocket.BindAsync("localhost", 0).Within();

        Assert.Equal(first, server.Address);
        Assert.Equal("localhost", server.Address.Host);
    }

    [Fact]
    public async Task BindAsync_NumericText_BindsThatAddress()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();

        Assert.Equal(InternetAddress.LoopbackIPv4, server.Address);
        Assert.Equal("127.0.0.1", server.Address.Host);
    }

    [Fact]
    public async Task BindAsync_PortHeldByAnotherProgram_FailsWithTheErrnoTheOsTextTheAddressAndThePort()
    {
        // A plain socket outside DartIo's registry stands for another program holding the port.
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Listen();
        var port = ((IPEndPoint)other.LocalEndPoint!).Port;

        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync("127.0.0.1", port));

        Assert.Equal("Failed to create server socket", error.Reason);
        Assert.Equal(98, error.OSError!.ErrorCode);
        Assert.Equal("Address already in use", error.OSError.Message);
        Assert.Equal(port, error.Port);
        Assert.Equal(InternetAddress.LoopbackIPv4, error.Address);
        Assert.Equal(
            $"Failed to create server socket (OS Error: Address already in use, errno = 98), address = 127.0.0.1, port = {port}",
            error.Message);
    }

    [Fact]
    public async Task BindAsync_AddressNotOnThisMachine_FailsWithTheOsError()
    {
        // 192.0.2.1 (TEST-NET-1) is never a local address; binding it sends nothing anywhere.
        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync("192.0.2.1", 0));

        Assert.Equal(99, error.OSError!.ErrorCode);
        Assert.Equal("Cannot assign requested address", error.OSError.Message);
        Assert.Contains("address = 192.0.2.1, port = 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindAsync_UnresolvableName_FailsWithFailedHostLookup()
    {
        // A name too long for DNS fails in the resolver without any query leaving the machine.
        var name = new string('a', 300) + ".example";

        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync(name, 0));

        Assert.StartsWith($"Failed host lookup: '{name}'", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.OSError);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void BindAsync_PortOutOfRange_ThrowsSynchronouslyNamingPort(int port)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ServerSocket.BindAsync("127.0.0.1", port); });
        Assert.Equal("port", error.ParamName);

        error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port); });
        Assert.Equal("port", error.ParamName);
    }

    [Fact]
    public void BindAsync_NegativeBacklog_ThrowsSynchronouslyNamingBacklog()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = ServerSocket.BindAsync("127.0.0.1", 0, backlog: -1); });
        Assert.Equal("backlog", error.ParamName);
    }

    [Fact]
    public void BindAsync_NullAddress_ThrowsSynchronouslyNamingAddress()
    {
        var error = Assert.Throws<ArgumentNullException>(() => { _ = ServerSocket.BindAsync((string)null!, 0); });
        Assert.Equal("address", error.ParamName);

        error = Assert.Throws<ArgumentNullException>(() => { _ = ServerSocket.BindAsync((InternetAddress)null!, 0); });
        Assert.Equal("address", error.ParamName);
    }

    [Fact]
    public async Task BindAsync_ExplicitBacklog_Listens()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, backlog: 3).Within();
        var echo = Loopback.EchoAllAsync(server);

        var reply = await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port), "ping");

        Assert.Equal("ping", reply);
    }

    [Fact]
    public async Task BindAsync_AnotherProgramAskingForReuse_CannotTakeOurPort()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.AnyIPv4, 0).Within();

        // .NET's ReuseAddress sets SO_REUSEADDR and SO_REUSEPORT on Linux: what another program would ask for.
        // (The kernel judges by socket, not by process: an in-process socket stands for the other program.)
        using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        intruder.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        var error = Assert.Throws<SocketException>(() => intruder.Bind(new IPEndPoint(IPAddress.Any, server.Port)));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public async Task BindAsync_PortWithConnectionsInTimeWait_CanBeBoundAgain()
    {
        int port;
        await using (var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within())
        {
            port = server.Port;
            using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
            var accepted = (await server.AcceptAsync().Within())!;
            await accepted.CloseAsync(); // the server closes first: its side goes to TIME_WAIT
            using (var clientStream = new NetworkStream(client))
            {
                Assert.Equal(string.Empty, await Loopback.ReadToEndAsync(clientStream));
            }

            client.Shutdown(SocketShutdown.Send);
            await accepted.Stream.ReadAsync(new byte[1]).AsTask().Within();
            await accepted.Done.Within();
        }

        await using var again = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port).Within();
        Assert.Equal(port, again.Port);
    }

    [IPv6Fact]
    public async Task BindAsync_AnyIPv6_AcceptsIPv4ClientsAsMappedAddresses()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.AnyIPv6, 0).Within();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);

        var accepted = (await server.AcceptAsync().Within())!;

        Assert.Equal("::ffff:127.0.0.1", accepted.RemoteAddress.Address);
        Assert.Equal(InternetAddressType.IPv6, accepted.RemoteAddress.Type);
        accepted.Destroy();
    }

    [IPv6Fact]
    public async Task BindAsync_V6Only_RefusesIPv4AndAcceptsIPv6()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.AnyIPv6, 0, v6Only: true).Within();

        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        using var client = await Loopback.ConnectRawAsync(IPAddress.IPv6Loopback, server.Port);
        var accepted = (await server.AcceptAsync().Within())!;
        Assert.Equal(InternetAddress.LoopbackIPv6, accepted.RemoteAddress);
        accepted.Destroy();
    }

    [IPv6Fact]
    public async Task BindAsync_V6OnlyAnyAndAnyIPv4OnOnePort_BothSucceed()
    {
        await using var v6 = await ServerSocket.BindAsync(InternetAddress.AnyIPv6, 0, v6Only: true).Within();
        await using var v4 = await ServerSocket.BindAsync(InternetAddress.AnyIPv4, v6.Port).Within();

        Assert.Equal(v6.Port, v4.Port);
    }

    [IPv6Fact]
    public async Task BindAsync_DualStackAnyAndAnyIPv4OnOnePort_Conflict()
    {
        await using var v6 = await ServerSocket.BindAsync(InternetAddress.AnyIPv6, 0).Within();

        var error = await Assert.ThrowsAsync<NetworkException>(() => ServerSocket.BindAsync(InternetAddress.AnyIPv4, v6.Port));

        Assert.Equal(98, error.OSError!.ErrorCode);
    }

    [Fact]
    public async Task BindAsync_UnixDomainPath_BindsAndConnects()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dartio-{Guid.NewGuid():N}.sock");
        var address = new InternetAddress(path, InternetAddressType.Unix);
        await using (var server = await ServerSocket.BindAsync(address, 1234).Within())
        {
            Assert.Equal(0, server.Port);
            Assert.Equal(address, server.Address);
            var echo = Loopback.EchoAllAsync(server);

            await using var client = await SocketConnection.ConnectAsync(address, 0).Within();
            await client.Stream.WriteAsync("over unix"u8.ToArray());
            await client.CloseAsync();
            Assert.Equal("over unix", await Loopback.ReadToEndAsync(client.Stream));
            Assert.False(client.SetOption(SocketOption.TcpNoDelay, true));
            Assert.Equal(InternetAddressType.Unix, client.RemoteAddress.Type);
        }

        // Closed: the path can be bound again.
        await using var again = await ServerSocket.BindAsync(address, 0).Within();
        await again.CloseAsync();
        File.Delete(path);
    }
}
