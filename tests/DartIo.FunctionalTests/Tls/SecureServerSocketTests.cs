using System.Net.Security;
using System.Text;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

public sealed class SecureServerSocketTests
{
    private static Task<SecureServerSocket> BindAsync(SecurityContext? context = null, bool request = false, bool require = false,
        IReadOnlyList<string>? protocols = null) =>
        SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, context ?? TestCertificates.ServerContext(),
            requestClientCertificate: request, requireClientCertificate: require, supportedProtocols: protocols);

    [Fact]
    public async Task BindAsync_DartIoClient_EchoesOverTls()
    {
        await using var server = await BindAsync();
        var serving = ServeEchoAsync(server, 1);

        await using var client = await SecureSocketConnection.ConnectAsync("localhost", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        var echoed = await RoundTripAsync(client, "hello over TLS").WaitAsync(Patience);

        Assert.Equal("hello over TLS", echoed);
        Assert.Equal(TestCertificates.Server.Thumbprint, client.PeerCertificate!.Thumbprint);
        Assert.Null(client.SelectedProtocol);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task BindAsync_PlainSslStreamClient_EchoesOverTls()
    {
        await using var server = await BindAsync();
        var serving = ServeEchoAsync(server, 1);

        await using var ssl = await ConnectSslStreamAsync(server.Port).WaitAsync(Patience);
        await ssl.WriteAsync("plain SslStream"u8.ToArray());
        await ssl.ShutdownAsync();
        var echoed = await ReadToEndAsync(ssl).WaitAsync(Patience);

        Assert.Equal("plain SslStream", echoed);
        Assert.Equal(TestCertificates.Server.Thumbprint, ssl.RemoteCertificate!.GetCertHashString());
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task BindAsync_ContextWithEncryptedPemKey_Serves()
    {
        var certificate = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true, rsa: true);
        var context = new SecurityContext();
        context.UseCertificateChainBytes(Encoding.ASCII.GetBytes(TestCertificates.CertificatePem(certificate, TestCertificates.Ca)));
        context.UsePrivateKeyBytes(Encoding.ASCII.GetBytes(TestCertificates.EncryptedKeyPem(certificate, "pw")), "pw");
        await using var server = await BindAsync(context);
        var serving = ServeEchoAsync(server, 1);

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);

        Assert.Equal("encrypted", await RoundTripAsync(client, "encrypted").WaitAsync(Patience));
        Assert.Equal(certificate.Thumbprint, client.PeerCertificate!.Thumbprint);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task AcceptAsync_GarbageClientFirst_NextGoodClientServedAtOnce()
    {
        await using var server = await BindAsync();
        var accept = server.AcceptAsync().AsTask();

        await using var garbage = await SocketConnection.ConnectAsync("127.0.0.1", server.Port).WaitAsync(Patience);
        await garbage.Stream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(AtOnce);
        var accepted = await accept.WaitAsync(AtOnce);

        Assert.Equal(good.Port, accepted!.RemotePort);
        Assert.Equal(0, await garbage.Stream.ReadAsync(new byte[64]).AsTask().WaitAsync(Patience)); // dropped
        await accepted.DisposeAsync();
    }

    [Fact]
    public async Task AcceptAsync_DistrustingClientFirst_NextGoodClientServedAtOnce()
    {
        // A .NET client checks the server's certificate after the TLS 1.3 handshake is done on the server's side,
        // so the server may hand out the distrusting client's connection, which then ends at once: the loop goes on.
        await using var server = await BindAsync();
        var serving = Task.Run(async () =>
        {
            await foreach (var connection in server)
            {
                _ = EchoAsync(connection);
            }
        });

        var distrusting = SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, new SecurityContext());
        var error = await Assert.ThrowsAsync<HandshakeException>(() => distrusting.WaitAsync(Patience));
        await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(AtOnce);

        Assert.Contains("does not chain to a trusted certificate", error.Message, StringComparison.Ordinal);
        Assert.Equal("served", await RoundTripAsync(good, "served").WaitAsync(AtOnce));
        await server.CloseAsync().WaitAsync(Patience);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task AcceptAsync_SilentClientFirst_NextGoodClientServedAtOnce()
    {
        await using var server = await BindAsync();
        var accept = server.AcceptAsync().AsTask();

        await using var silent = await SocketConnection.ConnectAsync("127.0.0.1", server.Port).WaitAsync(Patience);
        await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(AtOnce);
        var accepted = await accept.WaitAsync(AtOnce);

        Assert.Equal(good.Port, accepted!.RemotePort);
        await accepted.DisposeAsync();
    }

    [Fact]
    public async Task AcceptAsync_SilentClient_DroppedWhenTheHandshakeTimesOut()
    {
        var time = new ManualTimeProvider();
        await using var server = SecureServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), 0, false,
            false, false, null, false, time, TimeSpan.FromSeconds(10));
        var accept = server.AcceptAsync().AsTask();
        var timerCreated = time.NextTimerCreated;

        await using var silent = await SocketConnection.ConnectAsync("127.0.0.1", server.Port).WaitAsync(Patience);
        await timerCreated.WaitAsync(Patience); // the server has started this connection's handshake
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, await silent.Stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Patience));
        Assert.False(accept.IsCompleted);
        await server.CloseAsync().WaitAsync(Patience);
        Assert.Null(await accept.WaitAsync(Patience));
    }

    [Fact]
    public async Task AcceptAsync_NobodyAsking_NoHandshakeUntilSomeoneAsks()
    {
        await using var server = await BindAsync();

        var connecting = SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext());
        var early = await Task.WhenAny(connecting, Task.Delay(TimeSpan.FromMilliseconds(300)));
        var accepted = await server.AcceptAsync().AsTask().WaitAsync(Patience);
        await using var client = await connecting.WaitAsync(Patience);

        Assert.NotSame(connecting, early);
        Assert.Equal(client.Port, accepted!.RemotePort);
        await accepted.DisposeAsync();
    }

    [Fact]
    public async Task GetAsyncEnumerator_WhileTheLoopBodyRuns_HandshakesGoOnAhead()
    {
        await using var server = await BindAsync();
        await using var enumerator = server.GetAsyncEnumerator();
        await using var first = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(Patience));
        await using var firstAccepted = enumerator.Current;

        // The loop body is "running" (no MoveNextAsync pending): the next client still completes its handshake.
        await using var second = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(AtOnce);

        Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(Patience));
        await using var secondAccepted = enumerator.Current;
        Assert.Equal(second.Port, secondAccepted.RemotePort);
    }

    [Fact]
    public async Task RequireClientCertificate_ClientWithoutOne_RefusedAndWithOne_Accepted()
    {
        await using var server = await BindAsync(require: true);
        var serving = ServeEchoAsync(server, 1);

        var refused = await IsRefusedAsync(async () =>
            await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())).WaitAsync(Patience);
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port,
            TestCertificates.ClientContext(TestCertificates.Client)).WaitAsync(Patience);
        var echoed = await RoundTripAsync(client, "with a certificate").WaitAsync(Patience);

        Assert.True(refused);
        Assert.Equal("with a certificate", echoed);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task RequireClientCertificate_Accepted_PeerCertificateIsTheClients()
    {
        await using var server = await BindAsync(require: true);
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port,
            TestCertificates.ClientContext(TestCertificates.Client)).WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Equal(TestCertificates.Client.Thumbprint, accepted.PeerCertificate!.Thumbprint);
    }

    [Fact]
    public async Task RequestClientCertificate_ClientWithoutOne_AcceptedWithNoPeerCertificate()
    {
        await using var server = await BindAsync(request: true);
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Null(accepted.PeerCertificate);
    }

    [Fact]
    public async Task RequestClientCertificate_ClientWithOne_PeerCertificateIsTheClients()
    {
        await using var server = await BindAsync(request: true);
        var accept = server.AcceptAsync().AsTask();

        await using var ssl = await ConnectSslStreamAsync(server.Port, TestCertificates.Client).WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Equal(TestCertificates.Client.Thumbprint, accepted.PeerCertificate!.Thumbprint);
    }

    [Fact]
    public async Task RequestClientCertificate_CertificateFromAnUntrustedCa_Refused()
    {
        await using var server = await BindAsync(request: true);
        var serving = ServeEchoAsync(server, 1);

        var refused = await IsRefusedAsync(async () => await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port,
            TestCertificates.ClientContext(TestCertificates.StrangerClient))).WaitAsync(Patience);
        await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);

        Assert.True(refused);
        Assert.Equal("after", await RoundTripAsync(good, "after").WaitAsync(Patience));
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task SupportedProtocols_BothOfferSeveral_TheServersPreferenceIsSelected()
    {
        await using var server = await BindAsync(protocols: ["h2", "http/1.1"]);
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext(),
            supportedProtocols: ["http/1.1", "h2"]).WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Equal("h2", client.SelectedProtocol);
        Assert.Equal("h2", accepted.SelectedProtocol);
    }

    [Fact]
    public async Task SupportedProtocols_FromTheContexts_Used()
    {
        var serverContext = TestCertificates.ServerContext();
        serverContext.SetAlpnProtocols(["echo/1", "echo/2"], isServer: true);
        var clientContext = TestCertificates.ClientContext();
        clientContext.SetAlpnProtocols(["echo/2"], isServer: false);
        await using var server = await BindAsync(serverContext);
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, clientContext).WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Equal("echo/2", client.SelectedProtocol);
        Assert.Equal("echo/2", accepted.SelectedProtocol);
    }

    [Fact]
    public async Task SupportedProtocols_ClientOffersNone_NoneSelected()
    {
        await using var server = await BindAsync(protocols: ["h2"]);
        var accept = server.AcceptAsync().AsTask();

        await using var ssl = await ConnectSslStreamAsync(server.Port).WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Null(accepted.SelectedProtocol);
    }

    [Fact]
    public async Task BindAsync_Shared_ConnectionsSpreadOverTheSecureServersThatAsk()
    {
        await using var first = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), shared: true);
        await using var second = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, first.Port, TestCertificates.ServerContext(), shared: true);
        var counts = new int[2];
        var serving = new[] { first, second }.Select((server, i) => Task.Run(async () =>
        {
            await foreach (var connection in server)
            {
                Interlocked.Increment(ref counts[i]);
                _ = EchoAsync(connection);
            }
        })).ToArray();

        for (var i = 0; i < 6; i++)
        {
            await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", first.Port, TestCertificates.ClientContext())
                .WaitAsync(Patience);
            Assert.Equal($"client {i}", await RoundTripAsync(client, $"client {i}").WaitAsync(Patience));
        }

        await first.CloseAsync().WaitAsync(Patience);
        await second.CloseAsync().WaitAsync(Patience);
        await Task.WhenAll(serving).WaitAsync(Patience);
        Assert.Equal(6, counts[0] + counts[1]);
        Assert.True(counts[0] > 0 && counts[1] > 0, $"both sharers serve: {counts[0]} and {counts[1]}");
    }

    [Fact]
    public async Task BindAsync_SamePortWithoutShared_FailsLikeServerSocket()
    {
        await using var first = await BindAsync();

        var error = await Assert.ThrowsAsync<NetworkException>(() =>
            SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, first.Port, TestCertificates.ServerContext()));

        Assert.Equal(first.Port, error.Port);
    }

    [Fact]
    public async Task BindAsync_ContextWithoutCertificate_CertificateExceptionAndNothingBound()
    {
        var port = await FreePortAsync();

        await Assert.ThrowsAsync<CertificateException>(() => SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port, new SecurityContext()));
        await Assert.ThrowsAsync<CertificateException>(() => SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port, (SecurityContext?)null));

        await AssertNothingListensAsync(port);
    }

    [Fact]
    public async Task AcceptAsync_AfterClose_NullAndCloseIsIdempotent()
    {
        var server = await BindAsync();
        var pending = server.AcceptAsync().AsTask();

        await server.CloseAsync().WaitAsync(Patience);
        await server.CloseAsync().WaitAsync(Patience);
        await server.DisposeAsync();

        Assert.Null(await pending.WaitAsync(Patience));
        Assert.Null(await server.AcceptAsync());
        Assert.NotEqual(0, server.Port);
    }

    [Fact]
    public async Task GetAsyncEnumerator_Twice_InvalidOperationException_AndEndingEarlyClosesTheServer()
    {
        var server = await BindAsync();
        var port = server.Port;
        var enumerator = server.GetAsyncEnumerator();

        Assert.Throws<InvalidOperationException>(() => server.GetAsyncEnumerator());
        var next = enumerator.MoveNextAsync().AsTask();
        await using (await SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext()).WaitAsync(Patience))
        {
            Assert.True(await next.WaitAsync(Patience));
            await enumerator.Current.DisposeAsync();
        }

        await enumerator.DisposeAsync(); // like break: ends the subscription and closes the server

        Assert.Null(await server.AcceptAsync());
        await AssertNothingListensAsync(port);
    }

    [Fact]
    public async Task CloseAsync_Connection_PeerReadsEndAndDoneCompletesOnBothSides()
    {
        await using var server = await BindAsync();
        var accept = server.AcceptAsync().AsTask();
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        var accepted = (await accept.WaitAsync(Patience))!;

        await client.CloseAsync().WaitAsync(Patience);
        Assert.Equal(0, await accepted.Stream.ReadAsync(new byte[8]).AsTask().WaitAsync(Patience));
        await accepted.Stream.WriteAsync("still"u8.ToArray()); // half-closed: the server may still send
        await accepted.CloseAsync().WaitAsync(Patience);

        Assert.Equal("still", await ReadToEndAsync(client.Stream).WaitAsync(Patience));
        await Task.WhenAll(client.Done, accepted.Done).WaitAsync(Patience);
    }

    [Fact]
    public async Task Destroy_Connection_DoneCompletesAndThePeerSeesTheEnd()
    {
        await using var server = await BindAsync();
        var accept = server.AcceptAsync().AsTask();
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        var accepted = (await accept.WaitAsync(Patience))!;

        accepted.Destroy();

        await accepted.Done.WaitAsync(Patience);
        try
        {
            Assert.Equal(0, await client.Stream.ReadAsync(new byte[8]).AsTask().WaitAsync(Patience));
        }
        catch (IOException)
        {
            // a reset is an end too
        }
    }

    /// <summary>
    /// Nothing listens on the port: a connect is refused. (Binding the port again would race with the many client
    /// sockets of parallel tests, which may take it as their local port.)
    /// </summary>
    internal static async Task AssertNothingListensAsync(int port)
    {
        var error = await Assert.ThrowsAsync<NetworkException>(() => SocketConnection.ConnectAsync("127.0.0.1", port).WaitAsync(Patience));
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    internal static async Task<int> FreePortAsync()
    {
        await using var probe = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        return probe.Port;
    }
}
