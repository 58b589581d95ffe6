using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

public sealed class SecureSocketConnectionTests
{
    [Fact]
    public async Task ConnectAsync_ServerNotTrusted_HandshakeExceptionWithTheReason()
    {
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
        var accepting = server.AcceptAsync();

        var error = await Assert.ThrowsAsync<HandshakeException>(() =>
            SecureSocketConnection.ConnectAsync("localhost", server.Port, new SecurityContext()).WaitAsync(Patience));

        Assert.Contains($"localhost:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not chain to a trusted certificate", error.OSError!.Message, StringComparison.Ordinal);
        await server.CloseAsync();
        await accepting;
    }

    [Fact]
    public async Task ConnectAsync_OnBadCertificateAccepts_ConnectsAndSeesTheCertificate()
    {
        var selfSigned = TestCertificates.SelfSigned("CN=localhost, O=Self");
        var context = new SecurityContext();
        context.UseCertificate(selfSigned);
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, context);
        var serving = ServeEchoAsync(server, 1);
        X509Certificate2? offered = null;

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext(),
            onBadCertificate: certificate => (offered = certificate).Subject == "CN=localhost, O=Self").WaitAsync(Patience);

        Assert.Equal(selfSigned.Thumbprint, offered!.Thumbprint);
        Assert.Equal("accepted", await RoundTripAsync(client, "accepted").WaitAsync(Patience));
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task ConnectAsync_OnBadCertificateRefuses_HandshakeException()
    {
        var context = new SecurityContext();
        context.UseCertificate(TestCertificates.SelfSigned("CN=localhost, O=Self"));
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, context);
        var accepting = server.AcceptAsync();

        await Assert.ThrowsAsync<HandshakeException>(() => SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port,
            TestCertificates.ClientContext(), onBadCertificate: _ => false).WaitAsync(Patience));
        await server.CloseAsync();
        await accepting;
    }

    [Fact]
    public async Task ConnectAsync_CertificateForAnotherName_HandshakeExceptionSaysTheNameDoesNotMatch()
    {
        var context = new SecurityContext();
        context.UseCertificate(TestCertificates.Issue(TestCertificates.Ca, "CN=other.example", server: true, dnsNames: ["other.example"]));
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, context);
        var accepting = server.AcceptAsync();

        var error = await Assert.ThrowsAsync<HandshakeException>(() =>
            SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext()).WaitAsync(Patience));

        Assert.Contains("does not match the host name", error.Message, StringComparison.Ordinal);
        await server.CloseAsync();
        await accepting;
    }

    [Fact]
    public async Task ConnectAsync_InternetAddress_VerifiesAgainstTheAddress()
    {
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
        var serving = ServeEchoAsync(server, 1);

        await using var client = await SecureSocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);

        Assert.Equal("by address", await RoundTripAsync(client, "by address").WaitAsync(Patience));
        Assert.Equal(server.Port, client.RemotePort);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_NetworkExceptionNamingThePort()
    {
        int port;
        await using (var probe = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0))
        {
            port = probe.Port;
        }

        var error = await Assert.ThrowsAsync<NetworkException>(() =>
            SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext()).WaitAsync(Patience));

        Assert.Equal(port, error.Port);
    }

    [Fact]
    public async Task ConnectAsync_ServerThatNeverSpeaks_HandshakeExceptionWhenTheTimeoutEnds()
    {
        await using var silent = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        var accepted = silent.AcceptAsync().AsTask();

        var error = await Assert.ThrowsAsync<HandshakeException>(() => SecureSocketConnection.ConnectAsync("127.0.0.1", silent.Port,
            TestCertificates.ClientContext(), timeout: TimeSpan.FromMilliseconds(300)).WaitAsync(Patience));

        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        await using var connection = await accepted.WaitAsync(Patience);
    }

    [Fact]
    public async Task ConnectAsync_MinimumTls13AgainstATls12OnlyServer_HandshakeException()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = TestCertificates.Server,
                    EnabledSslProtocols = SslProtocols.Tls12,
                });
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                // expected: the client wants TLS 1.3
            }
        });
        var context = TestCertificates.ClientContext();
        context.MinimumTlsProtocolVersion = TlsProtocolVersion.Tls13;

        await Assert.ThrowsAsync<HandshakeException>(() => SecureSocketConnection.ConnectAsync("127.0.0.1", port, context).WaitAsync(Patience));
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task ConnectAsync_DefaultSettings_NegotiatesTls12OrLaterAndNeverOlder()
    {
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.True(client.TlsProtocol is SslProtocols.Tls12 or SslProtocols.Tls13);
        Assert.Equal(client.TlsProtocol, accepted.TlsProtocol);
    }
}
