using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;
using static DartIo.FunctionalTests.Sockets.ConnectionLimitTests;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// What the accept pipeline's stages log while they refuse one connection and serve the next: the per-address limit
/// before any TLS work (events 8, 100, 101) and a malformed PROXY header (event 21). They swap the process-wide
/// logger factory, so they run alone.
/// </summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class ConnectionLimitLoggingTests
{
    [Fact]
    public async Task SecureServerSocket_MaxConnectionsPerAddress_SixthClosedBeforeAnyTlsWorkOthersServed()
    {
        using var capture = new LogCapture();
        var time = new ManualTimeProvider(); // the handshake timeout never passes: only the limit can close a silent client
        await using var server = SecureServerSocket.Bind(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext(), 0, false,
            false, false, null, false, time, TimeSpan.FromSeconds(10));
        server.MaxConnectionsPerAddress = 5;
        var five = new List<SecureSocketConnection>();
        var clients = new List<SecureSocketConnection>();
        for (var i = 0; i < 5; i++)
        {
            var accept = server.AcceptAsync().AsTask(); // the server takes connections only while asked
            clients.Add(await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext()).Within());
            five.Add((await accept.Within())!);
        }

        var pending = server.AcceptAsync().AsTask();
        using var sixth = await ConnectFromAsync(IPAddress.Loopback, server.Port); // sends nothing, not even a ClientHello
        var sixthPort = ((IPEndPoint)sixth.LocalEndPoint!).Port;
        Assert.True(await ClosedByServerAsync(sixth).Within());

        await using var fromElsewhere = await ConnectTlsFromAsync(OtherClient, server.Port);
        var accepted = (await pending.Within())!;
        Assert.Equal("127.0.0.2", accepted.RemoteAddress.Address);

        five[0].Destroy();
        var readmitting = server.AcceptAsync().AsTask();
        clients.Add(await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext()).Within());
        var readmitted = await readmitting.Within();
        Assert.Equal(clients[^1].Port, readmitted!.RemotePort);

        var entries = capture.Logs.Entries.ToList();
        var aboutSixth = entries.Where(e => e.Text.Contains($"127.0.0.1:{sixthPort} ", StringComparison.Ordinal)).ToList();
        var refused = Assert.Single(aboutSixth); // no Accepted (7), no handshake (100, 101): only the limit's line
        Assert.Equal((8, LogLevel.Debug), (refused.Event.Id, refused.Level));
        Assert.Equal(7, entries.Count(e => e.Event.Id == 101)); // the five, the one from elsewhere, the readmitted one
        Assert.DoesNotContain(entries, e => e.Event.Id == 100);
        Assert.Empty(capture.Errors);
        foreach (var connection in five.Skip(1).Append(accepted).Append(readmitted).Concat(clients))
        {
            connection.Destroy();
        }
    }

    [Fact]
    public async Task ProxyProtocolRequired_GarbageInsteadOfAHeader_ThatConnectionDroppedAtDebugNextServed()
    {
        using var capture = new LogCapture();
        await using var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var pending = server.AcceptAsync().AsTask();

        using var garbage = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        var garbagePort = ((IPEndPoint)garbage.LocalEndPoint!).Port;
        await garbage.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()).Within();
        Assert.True(await ClosedByServerAsync(garbage).Within());

        using var proxied = await ConnectFromAsync(IPAddress.Loopback, server.Port);
        await proxied.SendAsync("PROXY TCP4 192.0.2.10 192.0.2.20 4242 80\r\nhello"u8.ToArray()).Within();
        var accepted = (await pending.Within())!;
        var data = new byte[5];
        await accepted.Stream.ReadExactlyAsync(data).AsTask().Within();

        Assert.Equal(("192.0.2.10", 4242), (accepted.RemoteAddress.Address, accepted.RemotePort));
        Assert.Equal("hello", Encoding.ASCII.GetString(data)); // nothing past the header was taken
        var aboutGarbage = capture.Logs.Entries.Where(e => e.Text.Contains($"127.0.0.1:{garbagePort} ", StringComparison.Ordinal)).ToList();
        Assert.Equal([7, 21], aboutGarbage.Select(e => e.Event.Id)); // accepted, then closed at the header
        Assert.All(aboutGarbage, e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.DoesNotContain(capture.Logs.Entries, e => e.Level >= LogLevel.Warning);
        accepted.Destroy();
    }

    /// <summary>A TLS client from a chosen source address, trusting the test CA.</summary>
    private static async Task<SslStream> ConnectTlsFromAsync(IPAddress source, int port)
    {
        var ssl = new SslStream(new NetworkStream(await ConnectFromAsync(source, port), ownsSocket: true));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => TlsTesting.ChainsToTestCa(certificate),
        }).Within();
        return ssl;
    }
}
