using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using DartIo.FunctionalTests.Support;
using DartIo.Internal;
using DartIo.Internal.Listening;
using DartIo.Tests.Sockets;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging.Abstractions;

namespace DartIo.FunctionalTests.Observability;

/// <summary>
/// The meter <c>DartIo</c> (docs/observability.md): what the accept pipeline did, as an operator watching it in
/// OpenTelemetry sees it. Each test looks only at its own server's port.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class SocketMetricsTests
{
    private const string Accepted = "dartio.accepted_connections";
    private const string Active = "dartio.active_connections";
    private const string Rejected = "dartio.rejected_connections";
    private const string ProxyHeadersInstrument = "dartio.proxy_headers";
    private const string Handshake = "dartio.tls_handshake.duration";
    private const string Deliveries = "dartio.shared_socket.deliveries";
    private const string Bytes = "dartio.connection.io";

    [Fact]
    public async Task AcceptAsync_ConnectionOpensAndCloses_CountedAcceptedAndActiveUpThenDown()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        var connection = (await accepting.Within())!;

        await metrics.WhenSumAsync(Active, 1);
        Assert.Equal(1, metrics.Sum(Accepted));
        var accepted = Assert.Single(metrics.Of(Accepted));
        Assert.Equal("127.0.0.1", accepted["server.address"]);
        Assert.Equal("tcp", accepted["network.transport"]);

        connection.Destroy();
        await metrics.WhenSumAsync(Active, 0);
        Assert.Equal([1.0, -1.0], metrics.Of(Active).Select(m => m.Value));
        Assert.Equal(0, metrics.Sum(Rejected));
    }

    [Fact]
    public async Task AcceptAsync_OverMaxConnectionsPerAddress_RejectedWithThatLimitAsErrorType()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.MaxConnectionsPerAddress = 1;
        using var metrics = new MetricCapture("DartIo", server.Port);

        var first = server.AcceptAsync().AsTask();
        using var kept = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await using var connection = (await first.Within())!;
        var second = server.AcceptAsync().AsTask();
        using var refused = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);

        await metrics.WhenSumAsync(Rejected, 1, ("error.type", "max_connections_per_address"));
        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(refused));
        Assert.Equal(2, metrics.Sum(Accepted));
        await metrics.WhenSumAsync(Active, 1); // the refused one gave its place back at once
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_ProxyHeaders_CountedByResultAndVersion()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var v2 = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V2(), "hello");
        await using (var connection = (await accepting.Within())!)
        {
            Assert.Equal(2, connection.ProxyHeader!.Version);
        }

        accepting = server.AcceptAsync().AsTask();
        using var v1 = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), "hello");
        await using (var connection = (await accepting.Within())!)
        {
            Assert.Equal(1, connection.ProxyHeader!.Version);
        }

        accepting = server.AcceptAsync().AsTask();
        using var garbage = await ProxyHeaders.ConnectAndSendAsync(server.Port, "GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(garbage));

        await metrics.WhenSumAsync(Rejected, 1, ("error.type", "proxy_header_invalid"));
        Assert.Equal(1, metrics.Sum(ProxyHeadersInstrument, ("dartio.proxy.result", "accepted"), ("dartio.proxy.version", "2")));
        Assert.Equal(1, metrics.Sum(ProxyHeadersInstrument, ("dartio.proxy.result", "accepted"), ("dartio.proxy.version", "1")));
        var rejected = Assert.Single(metrics.Of(ProxyHeadersInstrument), m => Equals(m["dartio.proxy.result"], "rejected"));
        Assert.Equal("proxy_header_invalid", rejected["error.type"]);
        Assert.Null(rejected["dartio.proxy.version"]);
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_OptionalProxyFromAnUntrustedAndATrustedPeer_AbsentCountedOnlyForTheTrustedOne()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Optional;
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var plain = await ProxyHeaders.ConnectAndSendAsync(server.Port, [], "no header");
        await using var connection = (await accepting.Within())!;

        await metrics.WhenSumAsync(ProxyHeadersInstrument, 1, ("dartio.proxy.result", "absent"));
        Assert.Equal(0, metrics.Sum(Rejected));
    }

    [Fact]
    public async Task AcceptAsync_RequiredProxyFromAnUntrustedPeer_RejectedAsUntrusted()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var client = await ProxyHeaders.ConnectAndSendAsync(server.Port, ProxyHeaders.V1(), "hello");

        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(client));
        await metrics.WhenSumAsync(Rejected, 1, ("error.type", "proxy_peer_untrusted"));
        Assert.Empty(metrics.Of(ProxyHeadersInstrument)); // no header was looked for
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_TlsHandshakes_DurationByProtocolOnSuccessAndByReasonOnFailure()
    {
        var time = new ManualTimeProvider();
        await using var server = SecureServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), 0, false,
            false, false, null, false, time, TimeSpan.FromSeconds(10));
        using var metrics = new MetricCapture("DartIo", server.Port);
        var accepting = server.AcceptAsync().AsTask();

        // Done: TLS 1.3, with its duration.
        await using (var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port, version: SslProtocols.Tls13).Within())
        {
            await using var connection = (await accepting.Within())!;
        }

        var done = Assert.Single(metrics.Of(Handshake));
        Assert.Equal("1.3", done["tls.protocol.version"]);
        Assert.Null(done["error.type"]);
        Assert.InRange(done.Value, 0, Wait.Long.TotalSeconds);

        // The server keeps asking, so the connections below are taken into their handshakes. (A client that does not
        // trust the certificate is no failure of the server's: .NET's client judges it after both sides are done.)
        accepting = server.AcceptAsync().AsTask();

        // Bytes that are no TLS: the server's handshake fails.
        using (var garbage = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port))
        {
            await garbage.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).Within();
            await metrics.WhenSumAsync(Rejected, 1, ("error.type", "tls_handshake_failed"));
        }

        // Half a ClientHello, then the client closes: the handshake fails as the peer's end.
        using (var quitter = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port))
        {
            await quitter.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x80, 0x01 }).Within();
            quitter.Shutdown(SocketShutdown.Send);
            await metrics.WhenSumAsync(Rejected, 2, ("error.type", "tls_handshake_failed"));
        }

        // Half a ClientHello, then silence: at the admission deadline the handshake fails as a timeout.
        var deadlineSet = time.NextTimerCreated;
        using var stalled = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await deadlineSet.Within();
        var receivedBefore = metrics.Sum(Bytes, ("network.io.direction", "receive"));
        await stalled.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x80 }).Within();
        await metrics.WhenAsync(m => m.Sum(Bytes, ("network.io.direction", "receive")) >= receivedBefore + 5); // the handshake has them
        time.Advance(TimeSpan.FromSeconds(10));
        await metrics.WhenSumAsync(Rejected, 1, ("error.type", "timeout"));

        var failures = metrics.Of(Handshake).Where(m => m["error.type"] is not null).Select(m => (string)m["error.type"]!).ToList();
        Assert.Equal(3, failures.Count);
        Assert.Equal("timeout", failures[2]);
        Assert.Equal(3, failures.Distinct().Count()); // not TLS, cut short, too slow: three reasons
        Assert.DoesNotContain(failures, f => f.Length == 0 || f.Contains(' ', StringComparison.Ordinal)); // exception type names, no messages
        Assert.All(metrics.Of(Handshake).Where(m => m["error.type"] is not null), m => Assert.Null(m["tls.protocol.version"]));
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_SilentClient_RejectedAsTimeoutAtTheDeadline()
    {
        var time = new ManualTimeProvider();
        await using var server = SecureServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), 0, false,
            false, false, null, false, time, TimeSpan.FromSeconds(10));
        using var metrics = new MetricCapture("DartIo", server.Port);
        var accepting = server.AcceptAsync().AsTask();

        var deadlineSet = time.NextTimerCreated;
        using var silent = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await deadlineSet.Within();
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(await ProxyHeaders.ClosedWithoutAnswerAsync(silent));
        await metrics.WhenSumAsync(Rejected, 1, ("error.type", "timeout"));
        Assert.Empty(metrics.Of(Handshake)); // it never sent a byte: no handshake began
        await metrics.WhenSumAsync(Active, 0);
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task AcceptAsync_SharedSocket_DeliveriesCountedPerSharerInTurn()
    {
        await using var first = await ServerSocket.BindAsync("127.0.0.1", 0, shared: true).Within();
        await using var second = await ServerSocket.BindAsync("127.0.0.1", first.Port, shared: true).Within();
        using var metrics = new MetricCapture("DartIo", first.Port);

        var clients = new List<Socket>();
        var connections = new List<SocketConnection>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var fromFirst = first.AcceptAsync().AsTask();
                var fromSecond = second.AcceptAsync().AsTask();
                clients.Add(await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port));
                clients.Add(await Loopback.ConnectRawAsync(IPAddress.Loopback, first.Port));
                connections.Add((await fromFirst.Within())!);
                connections.Add((await fromSecond.Within())!);
            }

            Assert.Equal(8, metrics.Sum(Deliveries));
            Assert.Equal(4, metrics.Sum(Deliveries, ("dartio.sharer", 0)));
            Assert.Equal(4, metrics.Sum(Deliveries, ("dartio.sharer", 1)));
            Assert.Equal(8, metrics.Sum(Accepted)); // accepted once each, whichever sharer took it
        }
        finally
        {
            connections.ForEach(c => c.Destroy());
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task AcceptAsync_UnsharedSocket_NoDeliveriesCounted()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await using var connection = (await accepting.Within())!;

        await metrics.WhenSumAsync(Accepted, 1);
        Assert.Empty(metrics.Of(Deliveries));
    }

    [Fact]
    public async Task Stream_EchoedBytes_CountedByDirection()
    {
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo", server.Port);

        var accepting = server.AcceptAsync().AsTask();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        var connection = (await accepting.Within())!;
        var echo = Loopback.EchoAsync(connection);

        Assert.Equal("twelve bytes", await Loopback.RoundTripAsync(client, "twelve bytes"));
        await echo.Within();

        Assert.Equal(12, metrics.Sum(Bytes, ("network.io.direction", "receive")));
        Assert.Equal(12, metrics.Sum(Bytes, ("network.io.direction", "transmit")));
    }

    [Fact]
    public async Task Stream_TlsConnection_CountsTheWiresEncryptedBytes()
    {
        await using var server = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).Within();
        using var metrics = new MetricCapture("DartIo", server.Port);

        var serving = TlsTesting.ServeEchoAsync(server, 1);
        await using (var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port).Within())
        {
            await ssl.WriteAsync("twelve bytes"u8.ToArray()).AsTask().Within();
            var buffer = new byte[12];
            await ssl.ReadExactlyAsync(buffer).AsTask().Within();
        }

        await serving.Within();
        // The handshake (a certificate chain) and the records' overhead: far more than the 12 bytes of data each way.
        Assert.True(metrics.Sum(Bytes, ("network.io.direction", "receive")) > 12 + 100);
        Assert.True(metrics.Sum(Bytes, ("network.io.direction", "transmit")) > 12 + 500);
    }
    [Fact]
    public async Task Hooks_WithoutAndWithAListener_AllocateNothingPerMeasurement()
    {
        var accept = new ScriptedAccept();
        var listener = ListeningSocket.ForTests(accept.AcceptAsync, TimeProvider.System, NullLogger.Instance);
        var sharer = listener.AddSharer(InternetAddress.LoopbackIPv4);
        try
        {
            Exercise(listener, sharer); // the first calls JIT-compile and initialise
            Assert.Equal(0, AllocatedBy(() => Exercise(listener, sharer)));

            using var meterListener = new MeterListener();
            meterListener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "DartIo")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            var seen = 0;
            meterListener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref seen));
            meterListener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref seen));
            meterListener.Start();

            Exercise(listener, sharer);
            Assert.True(seen >= 10); // every hook was heard (other tests' servers may add some)
            Assert.Equal(0, AllocatedBy(() => Exercise(listener, sharer)));
        }
        finally
        {
            Assert.True(listener.RemoveSharer(sharer));
            await listener.ShutdownAsync().Within();
        }
    }

    /// <summary>Every hook of the meter once (bytes both ways, for an accepted and a client connection).</summary>
    private static void Exercise(ListeningSocket listener, ListeningSocket.Sharer sharer)
    {
        var counted = DartIoMetrics.Accepted(listener);
        DartIoMetrics.Delivered(sharer);
        DartIoMetrics.Rejected(listener, DartIoMetrics.Rejections.MaxConnectionsPerAddress);
        DartIoMetrics.ProxyHeader(listener, "rejected", header: null, DartIoMetrics.Rejections.ProxyHeaderInvalid);
        DartIoMetrics.HandshakeCompleted(listener, Stopwatch.GetTimestamp(), SslProtocols.Tls13);
        DartIoMetrics.HandshakeFailed(listener, Stopwatch.GetTimestamp(), DartIoMetrics.Rejections.Timeout);
        DartIoMetrics.Transferred(listener, DartIoMetrics.Receive, 100);
        DartIoMetrics.Transferred(listener, DartIoMetrics.Transmit, 100);
        DartIoMetrics.Transferred(null, DartIoMetrics.Receive, 100);
        DartIoMetrics.Released(listener, counted);
    }

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
