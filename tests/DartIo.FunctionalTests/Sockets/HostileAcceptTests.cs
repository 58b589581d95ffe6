using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using DartIo.FunctionalTests.Support;
using DartIo.Internal.Listening;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;
using static DartIo.Tests.Proxy.ProxyHeaderBytes;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// Clients that fail at every stage of the accept pipeline, and callers that cancel at random moments: every
/// connection gives its places back, none is lost, and nothing a client does is a Warning or an Error.
/// </summary>
[Collection(GlobalLoggingCollection.Name)] // reads the process-wide descriptor budget and swaps the logger factory
public sealed class HostileAcceptTests
{
    private const int Limit = 5;

    private static readonly byte[] Header = Ascii("PROXY TCP4 203.0.113.9 127.0.0.1 40000 443\r\n");

    public static TheoryData<string> Kinds => ["plain", "proxy", "tls", "proxy-tls"];

    /// <summary>One client that fails at some stage; completes when the server has closed its end.</summary>
    private static async Task FailAsync(int port, int how)
    {
        using var socket = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
        switch (how % 7)
        {
            case 0: // not a header
                await socket.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
                break;
            case 1: // a header, then bytes that are not TLS
                await socket.SendAsync((byte[])[.. Header, .. "\x16\x03\x01\x00\x05hello"u8]);
                break;
            case 2: // a header, then a reset
                await socket.SendAsync(Header);
                socket.LingerState = new LingerOption(true, 0);
                return;
            case 3: // a reset before anything
                socket.LingerState = new LingerOption(true, 0);
                return;
            case 4: // half a header, then the end
                await socket.SendAsync(Header.AsMemory(0, 20));
                socket.Shutdown(SocketShutdown.Send);
                break;
            case 5: // a v2 header announcing 65535 bytes
                await socket.SendAsync(V2(0x21, 0x11, new byte[12]).Select((b, i) => i is 14 or 15 ? (byte)0xFF : b).ToArray());
                break;
            default: // a header and the start of a ClientHello, then the end
                await socket.SendAsync((byte[])[.. Header, 0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
                socket.Shutdown(SocketShutdown.Send);
                break;
        }

        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer).Within() > 0)
            {
            }
        }
        catch (SocketException)
        {
            // reset by the server: closed too
        }
    }

    [Fact]
    public async Task AcceptAsync_ThousandFailuresAtEveryStage_GiveEveryPlaceBack()
    {
        using var capture = new LogCapture();
        var server = SecureServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), 0, false, false, false, null,
            false, TimeProvider.System, TimeSpan.FromSeconds(5));
        server.MaxConnections = Limit;
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var baseline = DescriptorBudget.Process.InUse;
        var accepted = new List<SecureSocketConnection>();
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepting = Task.Run(async () =>
        {
            while (await server.AcceptAsync() is { } connection)
            {
                lock (accepted)
                {
                    accepted.Add(connection);
                    if (accepted.Count == Limit)
                    {
                        allIn.TrySetResult();
                    }
                }
            }
        });

        for (var round = 0; round < 1001; round += Limit)
        {
            await Task.WhenAll(Enumerable.Range(round, Limit).Select(i => FailAsync(server.Port, i))).Within();
        }

        // Every place is free again: as many good clients as the limit are all served at once.
        var clients = await Task.WhenAll(Enumerable.Range(0, Limit).Select(async _ =>
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port).Within();
            await tcp.GetStream().WriteAsync(Header).AsTask().Within();
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) => TlsTesting.ChainsToTestCa(certificate));
            await ssl.AuthenticateAsClientAsync("localhost").Within();
            return ssl;
        })).Within();
        await allIn.Task.Within();

        Assert.Equal(baseline + Limit, DescriptorBudget.Process.InUse);
        accepted.ForEach(connection => connection.Destroy());
        foreach (var ssl in clients)
        {
            await ssl.DisposeAsync();
        }

        await server.CloseAsync().Within();
        await accepting.Within();
        Assert.Equal(baseline, DescriptorBudget.Process.InUse);
        Assert.Empty(capture.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Level} [{e.Event}] {e.Text}"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AcceptAsync_CancelledAtRandomMoments_LosesNoConnection(string kind)
    {
        const int Clients = 150;
        var tls = kind.Contains("tls", StringComparison.Ordinal);
        var proxy = kind.Contains("proxy", StringComparison.Ordinal);
        ServerSocket? plain = null;
        SecureServerSocket? secure = null;
        if (tls)
        {
            secure = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
        }
        else
        {
            plain = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        }

        if (proxy)
        {
            if (secure is not null)
            {
                secure.ProxyProtocol = ProxyProtocolMode.Required;
            }
            else
            {
                plain!.ProxyProtocol = ProxyProtocolMode.Required;
            }
        }

        var port = secure?.Port ?? plain!.Port;
        var served = 0;
        var accepting = Task.Run(async () =>
        {
            var random = new Random(42);
            var serving = new List<Task>();
            while (served < Clients)
            {
                using var cancel = new CancellationTokenSource();
                cancel.CancelAfter(TimeSpan.FromMilliseconds(random.Next(0, 4)));
                SocketConnection? connection;
                try
                {
                    connection = secure is not null ? await secure.AcceptAsync(cancel.Token) : await plain!.AcceptAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                Assert.NotNull(connection);
                served++;
                serving.Add(Task.Run(async () =>
                {
                    await connection.Stream.WriteAsync(new byte[] { 42 });
                    await connection.CloseAsync();
                    await connection.DisposeAsync();
                }));
            }

            await Task.WhenAll(serving);
        });

        var clients = Enumerable.Range(0, Clients).Select(async _ =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            Stream stream = tcp.GetStream();
            if (proxy)
            {
                await stream.WriteAsync(Header);
            }

            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, _) => TlsTesting.ChainsToTestCa(certificate));
                await ssl.AuthenticateAsClientAsync("localhost");
                stream = ssl;
            }

            var one = new byte[1];
            await stream.ReadExactlyAsync(one);
            await stream.DisposeAsync();
            return one[0];
        });

        var bytes = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(bytes, b => Assert.Equal(42, b));
        await accepting.Within();
        await (secure?.CloseAsync() ?? plain!.CloseAsync()).Within();
    }
}
