using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

/// <summary>
/// The server's cipher policy (SPEC 10): TLS 1.3, and on TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305. The
/// clients here are .NET's SslStream restricted to one suite, which .NET supports on Linux (as the policy itself).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class CipherPolicyTests
{
    [LinuxTheory]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, true)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, true)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, false)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, false)]
    public async Task BindAsync_Tls12ClientOfferingOnlyCbc_HandshakeFails(TlsCipherSuite suite, bool rsa)
    {
        await using var server = await BindAsync(rsa);
        var accept = server.AcceptAsync().AsTask();

        await Assert.ThrowsAnyAsync<AuthenticationException>(() => HandshakeAsync(server.Port, SslProtocols.Tls12, suite))
            .WaitAsync(Patience);
        Assert.False(accept.IsCompleted); // the failed handshake delivered nothing
    }

    [LinuxTheory]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, false)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, false)]
    public async Task BindAsync_Tls12ClientOfferingEcdheAead_IsServed(TlsCipherSuite suite, bool rsa)
    {
        await using var server = await BindAsync(rsa);
        var serving = ServeEchoAsync(server, 1);

        await using var ssl = await HandshakeAsync(server.Port, SslProtocols.Tls12, suite).WaitAsync(Patience);
        await ssl.WriteAsync("aead"u8.ToArray());
        await ssl.ShutdownAsync();

        Assert.Equal(SslProtocols.Tls12, ssl.SslProtocol);
        Assert.Equal(suite, ssl.NegotiatedCipherSuite);
        Assert.Equal("aead", await ReadToEndAsync(ssl).WaitAsync(Patience));
        await serving.WaitAsync(Patience);
    }

    [LinuxTheory]
    [InlineData(TlsCipherSuite.TLS_AES_128_GCM_SHA256, true)]
    [InlineData(TlsCipherSuite.TLS_AES_256_GCM_SHA384, false)]
    [InlineData(TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, false)]
    public async Task BindAsync_Tls13Client_IsServed(TlsCipherSuite suite, bool rsa)
    {
        await using var server = await BindAsync(rsa);
        var serving = ServeEchoAsync(server, 1);

        await using var ssl = await HandshakeAsync(server.Port, SslProtocols.Tls13, suite).WaitAsync(Patience);
        await ssl.ShutdownAsync();

        Assert.Equal(SslProtocols.Tls13, ssl.SslProtocol);
        Assert.Equal(suite, ssl.NegotiatedCipherSuite);
        Assert.Equal("", await ReadToEndAsync(ssl).WaitAsync(Patience));
        await serving.WaitAsync(Patience);
    }

    [LinuxFact]
    public async Task BindSecureAsync_Tls12ClientOfferingOnlyCbc_HandshakeFails()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, Context(rsa: false));
        server.Listen(request => request.Response.CloseAsync());

        await Assert.ThrowsAnyAsync<AuthenticationException>(() =>
            HandshakeAsync(server.Port, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)).WaitAsync(Patience);
        await using var good = await HandshakeAsync(server.Port, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
            .WaitAsync(Patience);
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, good.NegotiatedCipherSuite);
    }

    private static SecurityContext Context(bool rsa)
    {
        var context = new SecurityContext();
        context.UseCertificate(rsa ? s_rsaServer.Value : TestCertificates.Server);
        return context;
    }

    private static readonly Lazy<X509Certificate2> s_rsaServer =
        new(() => TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true, rsa: true));

    private static Task<SecureServerSocket> BindAsync(bool rsa) =>
        SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, Context(rsa));

    /// <summary>A TLS client that offers only <paramref name="version"/> and <paramref name="suite"/>.</summary>
    private static Task<SslStream> HandshakeAsync(int port, SslProtocols version, TlsCipherSuite suite) =>
        ConnectSslStreamAsync(port, version: version, cipherSuite: suite);
}

/// <summary>A test of something .NET offers on Linux only (cipher-suite policies); skipped, visibly, elsewhere.</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (.NET's CipherSuitesPolicy)";
        }
    }
}

/// <inheritdoc cref="LinuxFactAttribute"/>
internal sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (.NET's CipherSuitesPolicy)";
        }
    }
}
