using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// MaxConnections and MaxConnectionsPerAddress (SPEC 7) on ServerSocket and HttpServer, and the rules for setting
/// them (API.md "Accepting: limits and the PROXY protocol"). The TLS case is in <see cref="ConnectionLimitLoggingTests"/>.
/// </summary>
public sealed class ConnectionLimitTests
{
    internal static readonly IPAddress OtherClient = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task MaxConnectionsPerAddress_SixthFromOneAddress_ClosedWhileOtherAddressesAreServed()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.MaxConnectionsPerAddress = 5;
        var five = new List<SocketConnection>();
        var clients = new List<Socket>();
        for (var i = 0; i < 5; i++)
        {
            clients.Add(await ConnectFromAsync(IPAddress.Loopback, server.Port));
            five.Add((await server.AcceptAsync().Within())!);
        }

        var pending = server.AcceptAsync().AsTask();
        using var sixth = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        Assert.True(await ClosedByServerAsync(sixth).Within());
        Assert.False(pending.IsCompleted); // it never reached the server's caller

        using var fromElsewhere = await ConnectFromAsync(OtherClient, server.Port);
        var accepted = await pending.Within();
        Assert.Equal(("127.0.0.2", ((IPEndPoint)fromElsewhere.LocalEndPoint!).Port), (accepted!.RemoteAddress.Address, accepted.RemotePort));

        five[0].Destroy(); // one of the five closes: its address has room again
        using var again = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        var readmitted = await server.AcceptAsync().Within();
        Assert.Equal(((IPEndPoint)again.LocalEndPoint!).Port, readmitted!.RemotePort);

        foreach (var connection in five.Skip(1).Append(accepted).Append(readmitted))
        {
            connection.Destroy();
        }

        clients.ForEach(client => client.Dispose());
    }

    [Fact]
    public async Task MaxConnections_AtTheLimit_NextConnectionWaitsInTheBacklogUntilOneCloses()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.MaxConnections = 2;
        using var first = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        var one = (await server.AcceptAsync().Within())!;
        using var second = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        var two = (await server.AcceptAsync().Within())!;

        var pending = server.AcceptAsync().AsTask();
        using var third = await ConnectFromAsync(IPAddress.Loopback, server.Port); // the OS completes it: it is in the backlog
        await third.SendAsync("waiting"u8.ToArray()).Within();
        Assert.False(pending.IsCompleted);

        one.Destroy();
        var accepted = await pending.Within();

        Assert.Equal(((IPEndPoint)third.LocalEndPoint!).Port, accepted!.RemotePort);
        var buffer = new byte[7];
        await accepted.Stream.ReadExactlyAsync(buffer).AsTask().Within();
        Assert.Equal("waiting", Encoding.ASCII.GetString(buffer)); // nothing it sent while waiting was lost
        two.Destroy();
        accepted.Destroy();
    }

    [Fact]
    public async Task MaxConnections_SharedServerAtItsLimit_ExcessGoesToTheOtherSharerNothingLost()
    {
        await using var limited = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        limited.MaxConnections = 1;
        using var firstClient = await ConnectFromAsync(IPAddress.Loopback, limited.Port);
        var held = (await limited.AcceptAsync().Within())!; // the limited server is now at its limit
        await using var other = await ServerSocket.BindAsync("127.0.0.1", limited.Port, shared: true).Within();
        var served = new Dictionary<string, int> { ["limited"] = 0, ["other"] = 0 };
        var loops = new[] { AnswerAllAsync(limited, "limited", served), AnswerAllAsync(other, "other", served) };

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("other", await AskAsync(limited.Port)); // both ask, in turn; the limited one is skipped
        }

        held.Destroy(); // below its limit again: it takes its turns
        var answers = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add(await AskAsync(limited.Port));
        }

        Assert.Contains("limited", answers);
        Assert.Contains("other", answers);
        await limited.CloseAsync().Within();
        await other.CloseAsync().Within();
        await Task.WhenAll(loops).Within();
        lock (served)
        {
            Assert.Equal(20, served["limited"] + served["other"]); // every connection was answered by exactly one server
        }
    }

    [Fact]
    public async Task Settings_Defaults_NoLimitsNoProxyProtocolEveryPeerTrusted()
    {
        await using var plain = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        await using var secure = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).Within();
        await using var http = await HttpServer.BindAsync("127.0.0.1", 0).Within();

        Assert.Equal((0, 0, ProxyProtocolMode.None, 0), (plain.MaxConnections, plain.MaxConnectionsPerAddress, plain.ProxyProtocol, plain.TrustedProxies.Count));
        Assert.Equal((0, 0, ProxyProtocolMode.None, 0), (secure.MaxConnections, secure.MaxConnectionsPerAddress, secure.ProxyProtocol, secure.TrustedProxies.Count));
        Assert.Equal((0, 0, ProxyProtocolMode.None, 0), (http.MaxConnections, http.MaxConnectionsPerAddress, http.ProxyProtocol, http.TrustedProxies.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => { plain.MaxConnections = -1; });
        Assert.Throws<ArgumentOutOfRangeException>(() => { secure.MaxConnectionsPerAddress = -1; });
        Assert.Throws<ArgumentOutOfRangeException>(() => { http.MaxConnections = -1; });
    }

    [Fact]
    public async Task Settings_AfterTheFirstAcceptEnumerationOrListen_ThrowInvalidOperation()
    {
        await using var accepting = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        await using var enumerated = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        await using var secure = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).Within();
        await using var http = await HttpServer.BindAsync("127.0.0.1", 0).Within();

        using var cancel = new CancellationTokenSource();
        var pending = accepting.AcceptAsync(cancel.Token).AsTask();
        await using var enumerator = enumerated.GetAsyncEnumerator();
        var securePending = secure.AcceptAsync(cancel.Token).AsTask();
        http.Listen(request => request.Response.CloseAsync());

        AssertFixed(() => accepting.MaxConnections = 1, () => accepting.MaxConnectionsPerAddress = 1,
            () => accepting.ProxyProtocol = ProxyProtocolMode.Optional, () => accepting.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8")));
        AssertFixed(() => enumerated.MaxConnections = 1, () => enumerated.MaxConnectionsPerAddress = 1,
            () => enumerated.ProxyProtocol = ProxyProtocolMode.Optional, () => enumerated.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8")));
        AssertFixed(() => secure.MaxConnections = 1, () => secure.MaxConnectionsPerAddress = 1,
            () => secure.ProxyProtocol = ProxyProtocolMode.Optional, () => secure.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8")));
        AssertFixed(() => http.MaxConnections = 1, () => http.MaxConnectionsPerAddress = 1,
            () => http.ProxyProtocol = ProxyProtocolMode.Optional, () => http.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8")));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.Within());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => securePending.Within());
    }

    [Fact]
    public async Task Settings_SharedServerWithOtherSocketWideValues_RefusedAtItsFirstAcceptAndTheFirstServerGoesOn()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        first.MaxConnectionsPerAddress = 5;
        var firstAccept = first.AcceptAsync().AsTask();
        await using var otherLimit = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        otherLimit.MaxConnectionsPerAddress = 3;
        await using var otherMode = await HttpServer.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        otherMode.ProxyProtocol = ProxyProtocolMode.Optional;
        await using var agreeing = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        agreeing.MaxConnections = 7; // its own, not the socket's: no conflict

        var limitError = await Assert.ThrowsAsync<InvalidOperationException>(() => otherLimit.AcceptAsync().AsTask());
        var modeError = Assert.Throws<InvalidOperationException>(() => otherMode.Listen(request => request.Response.CloseAsync()));
        var agreeingAccept = agreeing.AcceptAsync().AsTask();

        Assert.Contains("MaxConnectionsPerAddress is 5", limitError.Message, StringComparison.Ordinal);
        Assert.Contains("ProxyProtocol is None", modeError.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{first.Port}", limitError.Message, StringComparison.Ordinal);
        using var client = await ConnectFromAsync(IPAddress.Loopback, first.Port);
        using var secondClient = await ConnectFromAsync(IPAddress.Loopback, first.Port);
        var served = await Task.WhenAll(firstAccept, agreeingAccept).Within(); // both agreeing servers still accept
        Assert.All(served, connection => Assert.NotNull(connection));
        Assert.Equal(5, first.MaxConnectionsPerAddress);
        foreach (var connection in served)
        {
            connection!.Destroy();
        }
    }

    [Fact]
    public async Task HttpServer_MaxConnectionsPerAddress_SixthKeepAliveConnectionClosedOthersKeepWorking()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxConnectionsPerAddress = 5;
        server.Listen(async request =>
        {
            request.Response.Write(request.ConnectionInfo!.RemoteAddress.Address);
            await request.Response.CloseAsync();
        });
        var five = new List<RawConnection>();
        for (var i = 0; i < 5; i++)
        {
            five.Add(new RawConnection(await ConnectFromAsync(IPAddress.Loopback, server.Port)));
            Assert.Equal("127.0.0.1", (await GetAsync(five[i])).Text);
        }

        using var sixth = new RawConnection(await ConnectFromAsync(IPAddress.Loopback, server.Port));
        await sixth.SendAsync(GetRequest);
        Assert.True(await sixth.ClosedByServerAsync().Within()); // closed without an answer

        using var fromElsewhere = new RawConnection(await ConnectFromAsync(OtherClient, server.Port));
        Assert.Equal("127.0.0.2", (await GetAsync(fromElsewhere)).Text);
        foreach (var connection in five)
        {
            Assert.Equal(200, (await GetAsync(connection)).Status); // the five keep-alive connections still work
        }

        five.ForEach(connection => connection.Dispose());
    }

    [Fact]
    public async Task HttpServer_MaxConnections_ExcessConnectionServedOnceOneCloses()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0, shared: true).Within();
        server.MaxConnections = 1;
        server.Listen(async request =>
        {
            request.Response.Write("limited");
            await request.Response.CloseAsync();
        });
        using var first = new RawConnection(await ConnectFromAsync(IPAddress.Loopback, server.Port));
        Assert.Equal("limited", (await GetAsync(first)).Text);

        using var second = new RawConnection(await ConnectFromAsync(IPAddress.Loopback, server.Port));
        await second.SendAsync(GetRequest);
        using var third = new RawConnection(await ConnectFromAsync(IPAddress.Loopback, server.Port));
        await third.SendAsync(GetRequest);

        // A sharer that asks takes what the limited server may not (proof that it had not taken them) ...
        await using var other = await HttpServer.BindAsync("127.0.0.1", server.Port, shared: true).Within();
        other.MaxConnections = 1;
        other.Listen(async request =>
        {
            request.Response.Write("other");
            await request.Response.CloseAsync();
        });
        Assert.Equal("other", (await second.ReadResponseAsync()).Text);

        // ... and once the limited server's connection closes, it serves the one still waiting in the backlog.
        first.Dispose();
        Assert.Equal("limited", (await third.ReadResponseAsync()).Text);
    }

    internal const string GetRequest = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

    /// <summary>A client socket bound to <paramref name="source"/> (any 127.0.0.0/8 address), connected to 127.0.0.1.</summary>
    internal static async Task<Socket> ConnectFromAsync(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Wait.Long);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True once the server closes the connection (end of stream or reset) without sending anything.</summary>
    internal static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[64]) == 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private static async Task<RawResponse> GetAsync(RawConnection connection)
    {
        await connection.SendAsync(GetRequest);
        return await connection.ReadResponseAsync();
    }

    /// <summary>Connects, sends a byte and reads the name of the server that answered, until it closes.</summary>
    private static async Task<string> AskAsync(int port)
    {
        using var socket = await ConnectFromAsync(IPAddress.Loopback, port);
        await socket.SendAsync("?"u8.ToArray()).Within();
        return await Loopback.ReadToEndAsync(new NetworkStream(socket, ownsSocket: false));
    }

    /// <summary>Answers every connection with the server's name and closes it; counts them.</summary>
    private static Task AnswerAllAsync(ServerSocket server, string name, Dictionary<string, int> served) => Task.Run(async () =>
    {
        await foreach (var connection in server)
        {
            await connection.Stream.ReadExactlyAsync(new byte[1]);
            await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes(name));
            await connection.CloseAsync();
            await Loopback.ReadToEndAsync(connection.Stream); // until the client closes too: its place is given back
            connection.Destroy();
            lock (served)
            {
                served[name]++;
            }
        }
    });

    private static void AssertFixed(params Action[] setters)
    {
        foreach (var setter in setters)
        {
            Assert.Throws<InvalidOperationException>(setter);
        }
    }
}
