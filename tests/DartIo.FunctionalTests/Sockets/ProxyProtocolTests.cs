using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// The PROXY protocol (SPEC 8) on ServerSocket and SecureServerSocket, with the test client standing in for the
/// proxy: it writes the header bytes itself, then its own.
/// </summary>
public sealed class ProxyProtocolTests
{
    [Fact]
    public async Task AcceptAsync_RequiredV1Header_RemoteIsTheHeadersSourceAndTheDataStartsAfterIt()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), "hello");
        await using var accepted = (await accepting.Within())!;

        Assert.Equal(ProxyHeaders.Client, accepted.RemoteAddress.Address);
        Assert.Equal(ProxyHeaders.ClientPort, accepted.RemotePort);
        Assert.Equal("127.0.0.1", accepted.Address.Address);
        Assert.Equal(server.Port, accepted.Port);
        var header = Assert.IsType<ProxyHeader>(accepted.ProxyHeader);
        Assert.Equal(1, header.Version);
        Assert.False(header.IsLocal);
        Assert.Equal(ProxyHeaders.ClientPort, header.SourcePort);
        Assert.Equal("127.0.0.1", header.DestinationAddress!.Address);
        Assert.Equal(80, header.DestinationPort);
        Assert.Equal("hello", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_RequiredV2HeaderWithTlvs_KeepsTheTlvsAsSent()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        var accepting = server.AcceptAsync().AsTask();
        (byte, byte[])[] tlvs = [(0x01, "h2"u8.ToArray()), (0x02, "example.test"u8.ToArray()), (0xE0, [0, 1, 2, 0xFF]), (0x04, [])];

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V2(tlvs: tlvs), "after v2");
        await using var accepted = (await accepting.Within())!;

        var header = Assert.IsType<ProxyHeader>(accepted.ProxyHeader);
        Assert.Equal(2, header.Version);
        Assert.Equal(ProxyHeaders.Client, accepted.RemoteAddress.Address);
        Assert.Equal(ProxyHeaders.ClientPort, accepted.RemotePort);
        Assert.Equal(server.Port, accepted.Port);
        Assert.Equal(tlvs.Select(t => (t.Item1, Convert.ToHexString(t.Item2))),
            header.Tlvs.Select(t => (t.Key, Convert.ToHexString(t.Value.Span))));
        Assert.Equal("after v2", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Theory]
    [InlineData(2)] // a v2 LOCAL command: the proxy's own health check
    [InlineData(1)] // a v1 UNKNOWN line
    public async Task AcceptAsync_RequiredHeaderWithoutAddresses_KeepsTheRealPeer(int version)
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, version == 2 ? ProxyHeaders.V2Local() : ProxyHeaders.V1Unknown(), "health");
        await using var accepted = (await accepting.Within())!;

        var header = Assert.IsType<ProxyHeader>(accepted.ProxyHeader);
        Assert.Equal(version, header.Version);
        Assert.True(header.IsLocal);
        Assert.Equal("127.0.0.1", accepted.RemoteAddress.Address);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, accepted.RemotePort);
        Assert.Equal("health", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_RequiredAndNoHeader_ClosesItAndServesTheNextClient()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        var accepting = server.AcceptAsync().AsTask();

        using var bare = await ProxyHeaders.ConnectAndSendAsync(server.Port, [], "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(bare));
        using var good = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(sourcePort: 4444), "good");
        await using var accepted = (await accepting.Within())!;

        Assert.Equal(4444, accepted.RemotePort);
        Assert.Equal("good", await ReadAllAfterShutdownAsync(good, accepted));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 5)]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    public async Task AcceptAsync_RequiredHeaderSplitOverManySmallWrites_IsReadWhole(int version, int pieceLength)
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        var accepting = server.AcceptAsync().AsTask();
        var header = version == 1 ? ProxyHeaders.V1() : ProxyHeaders.V2(tlvs: [(0xE1, new byte[40])]);

        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        client.NoDelay = true;
        await ProxyHeaders.SendInPiecesAsync(client, [.. header, .. "split"u8], pieceLength);
        await using var accepted = (await accepting.Within())!;

        Assert.Equal(version, accepted.ProxyHeader!.Version);
        Assert.Equal(ProxyHeaders.Client, accepted.RemoteAddress.Address);
        Assert.Equal("split", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_OptionalAndNoHeader_DeliversTheBytesIntact()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Optional);
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, [], "GET / HTTP/1.1\r\n\r\n");
        await using var accepted = (await accepting.Within())!;

        Assert.Null(accepted.ProxyHeader);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, accepted.RemotePort);
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_OptionalWithHeader_ReadsIt()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Optional);
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V2(), "data");
        await using var accepted = (await accepting.Within())!;

        Assert.Equal(ProxyHeaders.Client, accepted.RemoteAddress.Address);
        Assert.Equal("data", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_RequiredFromAnUntrustedPeer_ClosesIt()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required, trusted: IPNetwork.Parse("10.0.0.0/8"));
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), "hello");

        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(client));
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_OptionalFromAnUntrustedPeer_PassesTheHeaderThroughAsData()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Optional, trusted: IPNetwork.Parse("10.0.0.0/8"));
        var accepting = server.AcceptAsync().AsTask();

        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), "hello");
        await using var accepted = (await accepting.Within())!;

        Assert.Null(accepted.ProxyHeader);
        Assert.Equal("127.0.0.1", accepted.RemoteAddress.Address);
        Assert.Equal(Encoding.ASCII.GetString(ProxyHeaders.V1()) + "hello", await ReadAllAfterShutdownAsync(client, accepted));
    }

    [Fact]
    public async Task AcceptAsync_RequiredAndASilentPeer_ClosedAtTheDeadlineNotBefore()
    {
        var time = new ManualTimeProvider();
        await using var server = ServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, 0, false, false, null, time, TimeSpan.FromSeconds(10));
        server.ProxyProtocol = ProxyProtocolMode.Required;

        // Just inside the deadline, a slow peer's header still counts.
        var accepting = server.AcceptAsync().AsTask();
        var deadlineSet = time.NextTimerCreated;
        using var slow = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await deadlineSet.Within(); // the server is waiting for this connection's header
        time.Advance(TimeSpan.FromSeconds(9.9));
        await slow.SendAsync(ProxyHeaders.V1(sourcePort: 4321).AsMemory()).Within();
        await using (var accepted = (await accepting.Within())!)
        {
            Assert.Equal(4321, accepted.RemotePort);
        }

        // At the deadline, a silent one is closed, and never delivered.
        accepting = server.AcceptAsync().AsTask();
        deadlineSet = time.NextTimerCreated;
        using var silent = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await deadlineSet.Within();
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(silent));
        Assert.False(accepting.IsCompleted);
        using var good = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(sourcePort: 1234));
        await using var next = (await accepting.Within())!;
        Assert.Equal(1234, next.RemotePort);
    }

    [Fact]
    public async Task AcceptAsync_MaxConnectionsPerAddressBehindProxy_CountsTheHeadersSource()
    {
        await using var server = await BindAsync(ProxyProtocolMode.Required);
        server.MaxConnectionsPerAddress = 2;
        var accepted = new List<SocketConnection>();
        try
        {
            using var first = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(sourcePort: 1001));
            accepted.Add((await server.AcceptAsync().Within())!);
            using var second = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(sourcePort: 1002));
            accepted.Add((await server.AcceptAsync().Within())!);
            var accepting = server.AcceptAsync().AsTask();

            using var third = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(sourcePort: 1003));
            Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(third));
            using var other = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(source: "192.0.2.8", sourcePort: 1004));
            accepted.Add((await accepting.Within())!);

            Assert.Equal([1001, 1002, 1004], accepted.Select(c => c.RemotePort));
            Assert.Equal("192.0.2.8", accepted[2].RemoteAddress.Address);
        }
        finally
        {
            accepted.ForEach(c => c.Destroy());
        }
    }

    [Fact]
    public async Task SecureServerSocket_RequiredHeaderBeforeTheClientHello_RemoteIsTheHeadersSource()
    {
        await using var server = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var accepting = server.AcceptAsync().AsTask();

        using var tcp = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V2());
        await using var ssl = new SslStream(new NetworkStream(tcp, ownsSocket: false));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => TlsTesting.ChainsToTestCa(certificate),
        }).Within();
        await using var accepted = (await accepting.Within())!;

        Assert.Equal(ProxyHeaders.Client, accepted.RemoteAddress.Address);
        Assert.Equal(ProxyHeaders.ClientPort, accepted.RemotePort);
        Assert.Equal(2, accepted.ProxyHeader!.Version);
        await ssl.WriteAsync("secret"u8.ToArray()).AsTask().Within();
        var received = new byte[6];
        await accepted.Stream.ReadExactlyAsync(received).AsTask().Within();
        Assert.Equal("secret", Encoding.ASCII.GetString(received));
    }

    [Fact]
    public async Task SecureServerSocket_RequiredAndAClientHelloWithoutHeader_Refused()
    {
        await using var server = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var accepting = server.AcceptAsync().AsTask();

        var refused = false;
        try
        {
            await using var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port).Within();
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            refused = true;
        }

        Assert.True(refused);
        Assert.False(accepting.IsCompleted);
    }

    private static async Task<ServerSocket> BindAsync(ProxyProtocolMode mode, IPNetwork? trusted = null)
    {
        var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = mode;
        if (trusted is { } network)
        {
            server.TrustedProxies.Add(network);
        }

        return server;
    }

    /// <summary>Ends the client's sending side and reads everything the server got after the header, until the end.</summary>
    private static async Task<string> ReadAllAfterShutdownAsync(Socket client, SocketConnection accepted)
    {
        client.Shutdown(SocketShutdown.Send);
        return await Loopback.ReadToEndAsync(accepted.Stream);
    }
}
