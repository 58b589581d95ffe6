using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Tls;

/// <summary>SPEC 7: closing one of several shared TLS servers loses no connection it took but had not read from.</summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class SecureSharedCloseTests
{
    [Fact]
    public async Task CloseAsync_BeforeTheClientSpoke_HandsTheConnectionToAnotherSharer()
    {
        using var capture = new LogCapture();
        var context = TestCertificates.ServerContext();
        await using var first = await SecureServerSocket.BindAsync("127.0.0.1", 0, context, shared: true).Within();
        await using var second = await SecureServerSocket.BindAsync("127.0.0.1", first.Port, context, shared: true).Within();

        var firstAccept = first.AcceptAsync(); // only the first asks: it takes the connection
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, first.Port).Within();
        await capture.Logs.WhenLogged(e => e.Event.Id == 7).Within(); // accepted, waiting for the client's first bytes

        await first.CloseAsync().Within();
        Assert.Null(await firstAccept.AsTask().Within());

        var secondAccept = second.AcceptAsync().AsTask();
        await using var stream = new SslStream(new NetworkStream(client, ownsSocket: false));
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => TlsTesting.ChainsToTestCa(certificate),
        }).Within();
        await using var accepted = await secondAccept.Within();

        Assert.NotNull(accepted);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, accepted.RemotePort);
    }
}
