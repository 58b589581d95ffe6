using System.Security.Authentication;
using System.Text;
using System.Security.Cryptography.X509Certificates;

namespace DartIo.Tests.Tls;

public sealed class SecurityContextTests : IDisposable
{
    private readonly TemporaryDirectory _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void UseCertificateChain_PemThenKeyFile_IdentityIsTheCertificateWithItsKey()
    {
        var context = new SecurityContext();
        context.UseCertificateChain(_files.Write("chain.pem", TestCertificates.CertificatePem(TestCertificates.Server, TestCertificates.Ca)));
        context.UsePrivateKey(_files.Write("key.pem", TestCertificates.KeyPem(TestCertificates.Server)));

        var identity = context.ServerIdentity;
        Assert.Equal(TestCertificates.Server.Thumbprint, identity.Certificate.Thumbprint);
        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.Equal(TestCertificates.Ca.Thumbprint, Assert.Single(identity.Intermediates).Thumbprint);
    }

    [Fact]
    public void UseCertificateChainAndUsePrivateKey_EmptyFileOrBytes_CertificateExceptionSayingSo()
    {
        var empty = _files.Write("empty.pem", []);
        var context = new SecurityContext();

        var file = Assert.Throws<CertificateException>(() => context.UseCertificateChain(empty));
        var key = Assert.Throws<CertificateException>(() => context.UsePrivateKey(empty));
        var chainBytes = Assert.Throws<CertificateException>(() => context.UseCertificateChainBytes([]));
        var keyBytes = Assert.Throws<CertificateException>(() => context.UsePrivateKeyBytes([]));
        var trustedBytes = Assert.Throws<CertificateException>(() => context.SetTrustedCertificatesBytes([]));

        Assert.Equal($"Cannot read '{empty}': it is empty (0 bytes).", file.Message);
        Assert.Equal(file.Message, key.Message);
        Assert.Equal("Cannot read the certificate chain bytes: it is empty (0 bytes).", chainBytes.Message);
        Assert.Equal("Cannot read the private key bytes: it is empty (0 bytes).", keyBytes.Message);
        Assert.Equal("Cannot read the trusted certificate bytes: it is empty (0 bytes).", trustedBytes.Message);
    }

    [Fact]
    public void UsePrivateKey_BeforeTheChain_IdentityCompleteOnceBothAreThere()
    {
        var context = new SecurityContext();
        context.UsePrivateKey(_files.Write("key.pem", TestCertificates.KeyPem(TestCertificates.Server)));
        Assert.Throws<CertificateException>(() => context.ServerIdentity);

        context.UseCertificateChain(_files.Write("chain.pem", TestCertificates.CertificatePem(TestCertificates.Server)));

        Assert.True(context.ServerIdentity.Certificate.HasPrivateKey);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UsePrivateKey_EncryptedPkcs8WithItsPassword_Loads(bool rsa)
    {
        var certificate = TestCertificates.Issue(TestCertificates.Ca, "CN=encrypted", server: true, rsa: rsa);
        var context = new SecurityContext();
        context.UseCertificateChain(_files.Write("chain.pem", TestCertificates.CertificatePem(certificate)));
        context.UsePrivateKey(_files.Write("key.pem", TestCertificates.EncryptedKeyPem(certificate, "s3cret")), "s3cret");

        Assert.Equal(certificate.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void UsePrivateKey_TraditionalOpenSslForms_Load()
    {
        var ec = TestCertificates.Issue(TestCertificates.Ca, "CN=sec1", server: true);
        var rsa = TestCertificates.Issue(TestCertificates.Ca, "CN=pkcs1", server: true, rsa: true);
        foreach (var certificate in new[] { ec, rsa })
        {
            var context = new SecurityContext();
            context.UseCertificateChainBytes(Encoding.ASCII.GetBytes(TestCertificates.CertificatePem(certificate)));
            context.UsePrivateKeyBytes(Encoding.ASCII.GetBytes(TestCertificates.TraditionalKeyPem(certificate)));
            Assert.Equal(certificate.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
        }
    }

    [Fact]
    public void UsePrivateKey_WrongPassword_CertificateExceptionNamesTheFileAndThePassword()
    {
        var key = _files.Write("server-key.pem", TestCertificates.EncryptedKeyPem(TestCertificates.Server, "right"));
        var context = new SecurityContext();

        var error = Assert.Throws<CertificateException>(() => context.UsePrivateKey(key, "wrong"));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("password is wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePrivateKey_EncryptedWithoutPassword_CertificateExceptionSaysAPasswordIsNeeded()
    {
        var key = _files.Write("server-key.pem", TestCertificates.EncryptedKeyPem(TestCertificates.Server, "right"));

        var error = Assert.Throws<CertificateException>(() => new SecurityContext().UsePrivateKey(key));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("no password was given", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCertificateChain_Pkcs12WithItsPassword_CompleteIdentityWithChain()
    {
        var file = _files.Write("server.p12", TestCertificates.Pkcs12(TestCertificates.Server, "pw", TestCertificates.Ca));
        var context = new SecurityContext();

        context.UseCertificateChain(file, "pw");

        Assert.Equal(TestCertificates.Server.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
        Assert.Equal(TestCertificates.Ca.Thumbprint, Assert.Single(context.ServerIdentity.Intermediates).Thumbprint);
    }

    [Fact]
    public void UseCertificateChain_Pkcs12ThenUsePrivateKeyOfTheSameFile_StaysComplete()
    {
        // Dart's way with PKCS#12: the same file for both calls.
        var file = _files.Write("server.p12", TestCertificates.Pkcs12(TestCertificates.Server, "pw"));
        var context = new SecurityContext();

        context.UseCertificateChain(file, "pw");
        context.UsePrivateKey(file, "pw");

        Assert.Equal(TestCertificates.Server.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void UseCertificateChain_Pkcs12WrongPassword_CertificateExceptionNamesTheFile()
    {
        var file = _files.Write("server.p12", TestCertificates.Pkcs12(TestCertificates.Server, "pw"));

        var error = Assert.Throws<CertificateException>(() => new SecurityContext().UseCertificateChain(file, "nope"));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("password is wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePrivateKey_KeyOfAnotherCertificate_CertificateExceptionSaysItDoesNotMatch()
    {
        var other = TestCertificates.Issue(TestCertificates.Ca, "CN=other", server: true);
        var context = new SecurityContext();
        var chain = _files.Write("chain.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        context.UseCertificateChain(chain);
        var key = _files.Write("other-key.pem", TestCertificates.KeyPem(other));

        var error = Assert.Throws<CertificateException>(() => context.UsePrivateKey(key));

        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(chain, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCertificateChain_NewChainThenNewKeyAfterACompleteIdentity_ReplacesIt()
    {
        var renewed = TestCertificates.Issue(TestCertificates.Ca, "CN=renewed", server: true);
        var context = TestCertificates.ServerContext();

        context.UseCertificateChainBytes(Encoding.ASCII.GetBytes(TestCertificates.CertificatePem(renewed))); // the old key no longer matches: wait for the new one
        Assert.Throws<CertificateException>(() => context.ServerIdentity);
        context.UsePrivateKeyBytes(Encoding.ASCII.GetBytes(TestCertificates.KeyPem(renewed)));

        Assert.Equal(renewed.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void UseCertificateChain_MissingFile_CertificateExceptionNamesIt()
    {
        var missing = _files.File("nowhere.pem");

        var error = Assert.Throws<CertificateException>(() => new SecurityContext().UseCertificateChain(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCertificateChain_FileWithoutCertificate_CertificateException()
    {
        var file = _files.Write("key-only.pem", TestCertificates.KeyPem(TestCertificates.Server));

        var error = Assert.Throws<CertificateException>(() => new SecurityContext().UseCertificateChain(file));

        Assert.Contains("No certificate found", error.Message, StringComparison.Ordinal);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePrivateKey_FileWithoutKey_CertificateException()
    {
        var file = _files.Write("cert-only.pem", TestCertificates.CertificatePem(TestCertificates.Server));

        var error = Assert.Throws<CertificateException>(() => new SecurityContext().UsePrivateKey(file));

        Assert.Contains("No private key found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerIdentity_ChainWithoutKey_CertificateExceptionSaysTheKeyIsMissing()
    {
        var context = new SecurityContext();
        var chain = _files.Write("chain.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        context.UseCertificateChain(chain);

        var error = Assert.Throws<CertificateException>(() => context.CreateServerOptions(false, false, null));

        Assert.Contains("has no private key", error.Message, StringComparison.Ordinal);
        Assert.Contains(chain, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerIdentity_EmptyContext_CertificateExceptionSaysThereIsNoCertificate()
    {
        var error = Assert.Throws<CertificateException>(() => new SecurityContext().ServerIdentity);

        Assert.Contains("no certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCertificate_WithoutKey_ArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => new SecurityContext().UseCertificate(TestCertificates.PublicOnly(TestCertificates.Server)));

        Assert.Equal("certificate", error.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void SetAlpnProtocols_NameNotOneTo255Bytes_ArgumentException(int length)
    {
        var error = Assert.Throws<ArgumentException>(() => new SecurityContext().SetAlpnProtocols([new string('a', length)], isServer: true));

        Assert.Equal("protocols", error.ParamName);
    }

    [Fact]
    public void SetAlpnProtocols_NameOf255BytesOfMultiByteUtf8_CountsBytesNotCharacters()
    {
        var context = new SecurityContext();
        context.SetAlpnProtocols([new string('a', 255)], isServer: false);

        Assert.Throws<ArgumentException>(() => context.SetAlpnProtocols([new string('é', 128)], isServer: false)); // 256 bytes
    }

    [Fact]
    public void SetAlpnProtocols_ServerList_UsedWhenTheServerGivesNone()
    {
        var context = TestCertificates.ServerContext();
        context.SetAlpnProtocols(["h2", "http/1.1"], isServer: true);

        var fromContext = context.CreateServerOptions(false, false, null);
        var given = context.CreateServerOptions(false, false, ["echo"]);

        Assert.Equal(["h2", "http/1.1"], fromContext.ApplicationProtocols!.Select(p => p.ToString()));
        Assert.Equal(["echo"], given.ApplicationProtocols!.Select(p => p.ToString()));
    }

    [Fact]
    public void MinimumTlsProtocolVersion_Default_Tls12AndTls13Only()
    {
        var context = new SecurityContext();

        Assert.Equal(TlsProtocolVersion.Tls12, context.MinimumTlsProtocolVersion);
#pragma warning disable CA5397, SYSLIB0039 // naming the old versions only to assert they are off
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, context.EnabledProtocols);
#pragma warning restore CA5397, SYSLIB0039
    }

    [Fact]
    public void MinimumTlsProtocolVersion_Tls13_OnlyTls13()
    {
        var context = new SecurityContext { MinimumTlsProtocolVersion = TlsProtocolVersion.Tls13 };

        Assert.Equal(SslProtocols.Tls13, context.CreateClientOptions("localhost", null, null).EnabledSslProtocols);
    }

    [Fact]
    public void MinimumTlsProtocolVersion_UndefinedValue_ArgumentOutOfRangeException() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SecurityContext().MinimumTlsProtocolVersion = (TlsProtocolVersion)7);

    [Fact]
    public void CreateServerOptions_TwoHandshakes_FreshOptionsSharingOneCertificateContext()
    {
        var context = TestCertificates.ServerContext();

        var first = context.CreateServerOptions(false, false, null);
        var second = context.CreateServerOptions(false, false, null);

        Assert.NotSame(first, second);
        Assert.Same(first.ServerCertificateContext, second.ServerCertificateContext);
        Assert.Equal(TestCertificates.Server.Thumbprint, first.ServerCertificateContext!.TargetCertificate.Thumbprint);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    public void CreateServerOptions_ClientCertificateFlags_AskForOneWhenRequestedOrRequired(bool request, bool require, bool asks)
    {
        var options = TestCertificates.ServerContext().CreateServerOptions(request, require, null);

        Assert.Equal(asks, options.ClientCertificateRequired);
        Assert.Equal(asks, options.RemoteCertificateValidationCallback is not null);
    }

    [Fact]
    public void CreateServerOptions_RequiredAndNoneSent_Refused_RequestedAndNoneSent_Accepted()
    {
        var context = TestCertificates.ServerContext();

        var required = context.CreateServerOptions(false, true, null).RemoteCertificateValidationCallback!;
        var requested = context.CreateServerOptions(true, false, null).RemoteCertificateValidationCallback!;

        Assert.False(required(this, null, null, System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.True(requested(this, null, null, System.Net.Security.SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void CreateServerOptions_ClientCertificateFromAnotherCa_Refused()
    {
        var callback = TestCertificates.ServerContext().CreateServerOptions(true, false, null).RemoteCertificateValidationCallback!;

        Assert.True(callback(this, TestCertificates.Client, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(callback(this, TestCertificates.StrangerClient, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void CreateClientOptions_ContextWithCertificate_PresentsItAsClientCertificate()
    {
        var options = TestCertificates.ClientContext(TestCertificates.Client).CreateClientOptions("localhost", null, ["h2"]);

        Assert.Equal(TestCertificates.Client.Thumbprint, options.ClientCertificateContext!.TargetCertificate.Thumbprint);
        Assert.Equal("localhost", options.TargetHost);
        Assert.Equal("h2", Assert.Single(options.ApplicationProtocols!).ToString());
    }

    [Fact]
    public void CreateClientOptions_UntrustedServer_OnBadCertificateDecides()
    {
        var stranger = TestCertificates.SelfSigned("CN=localhost");
        X509Certificate2? offered = null;
        var refusing = TestCertificates.ClientContext().CreateClientOptions("localhost", null, null).RemoteCertificateValidationCallback!;
        var accepting = TestCertificates.ClientContext().CreateClientOptions("localhost", c => (offered = c) is not null, null).RemoteCertificateValidationCallback!;
        var trusted = TestCertificates.ClientContext().CreateClientOptions("localhost", null, null).RemoteCertificateValidationCallback!;

        Assert.False(refusing(this, stranger, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(accepting(this, stranger, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Equal(stranger.Thumbprint, offered!.Thumbprint);
        Assert.True(trusted(this, TestCertificates.Server, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void AlpnSupported_OnThisPlatform_True() => Assert.True(SecurityContext.AlpnSupported);

    [Fact]
    public void DefaultContext_TrustsSystemRootsAndHasNoCertificate()
    {
        Assert.Same(SecurityContext.DefaultContext, SecurityContext.DefaultContext);
        Assert.Throws<CertificateException>(() => SecurityContext.DefaultContext.ServerIdentity);
    }
}
