using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DartIo.Tests.Tls;

/// <summary>
/// Certificates made at test time, never committed: a CA, a server certificate for localhost (DNS and both loopback
/// addresses) and a client certificate issued by it, plus an unrelated CA, and ways to write them as files.
/// </summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_ca = new(() => CreateCa("CN=DartIo Test CA, O=DartIo Tests"));
    private static readonly Lazy<X509Certificate2> s_otherCa = new(() => CreateCa("CN=Other Test CA, O=Elsewhere"));
    private static readonly Lazy<X509Certificate2> s_server = new(() => Issue(Ca, "CN=localhost, O=DartIo Tests", server: true));
    private static readonly Lazy<X509Certificate2> s_client = new(() => Issue(Ca, "CN=test client, O=DartIo Tests", server: false));
    private static readonly Lazy<X509Certificate2> s_strangerClient = new(() => Issue(OtherCa, "CN=stranger, O=Elsewhere", server: false));

    public static X509Certificate2 Ca => s_ca.Value;

    public static X509Certificate2 OtherCa => s_otherCa.Value;

    /// <summary>CN=localhost, issued by <see cref="Ca"/>, for localhost, 127.0.0.1 and ::1, with its key.</summary>
    public static X509Certificate2 Server => s_server.Value;

    /// <summary>A client certificate issued by <see cref="Ca"/>, with its key.</summary>
    public static X509Certificate2 Client => s_client.Value;

    /// <summary>A client certificate issued by <see cref="OtherCa"/>, with its key.</summary>
    public static X509Certificate2 StrangerClient => s_strangerClient.Value;

    public static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-2), DateTimeOffset.UtcNow.AddYears(5));
    }

    /// <summary>Issues a certificate with its key. Server certificates name localhost, 127.0.0.1 and ::1 unless <paramref name="dnsNames"/> is given.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject, bool server, bool rsa = false,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string[]? dnsNames = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = rsa
            ? new CertificateRequest(subject, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames ?? ["localhost"])
            {
                names.AddDnsName(name);
            }

            if (dnsNames is null)
            {
                names.AddIpAddress(IPAddress.Loopback);
                names.AddIpAddress(IPAddress.IPv6Loopback);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var until = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);
        using var issuerKey = issuer.GetECDsaPrivateKey() ?? throw new InvalidOperationException("test CAs use ECDSA keys");
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, until, serial);
        return key switch
        {
            RSA r => issued.CopyWithPrivateKey(r),
            ECDsa e => issued.CopyWithPrivateKey(e),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>A self-signed server certificate (for tests that need certificates nobody trusts).</summary>
    public static X509Certificate2 SelfSigned(string subject, bool rsa = false, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = rsa
            ? new CertificateRequest(subject, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
    }

    public static string CertificatePem(params X509Certificate2[] chain) =>
        string.Concat(chain.Select(c => c.ExportCertificatePem() + "\n"));

    public static string KeyPem(X509Certificate2 certificate) => PrivateKey(certificate).ExportPkcs8PrivateKeyPem();

    public static string EncryptedKeyPem(X509Certificate2 certificate, string password) =>
        PrivateKey(certificate).ExportEncryptedPkcs8PrivateKeyPem(password,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));

    /// <summary>PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"): the traditional OpenSSL forms.</summary>
    public static string TraditionalKeyPem(X509Certificate2 certificate) => PrivateKey(certificate) switch
    {
        RSA r => r.ExportRSAPrivateKeyPem(),
        ECDsa e => e.ExportECPrivateKeyPem(),
        _ => throw new InvalidOperationException(),
    };

    public static byte[] Pkcs12(X509Certificate2 certificate, string? password, params X509Certificate2[] chain)
    {
        var collection = new X509Certificate2Collection(certificate);
        collection.AddRange(chain.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray());
        return collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    /// <summary>The certificate alone, without its key.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    /// <summary>A context serving <see cref="Server"/> (with <see cref="Ca"/> as its chain) and trusting <see cref="Ca"/> for client certificates.</summary>
    public static SecurityContext ServerContext(bool trustCa = true)
    {
        var context = new SecurityContext();
        context.UseCertificateChainBytes(System.Text.Encoding.ASCII.GetBytes(CertificatePem(Server, Ca) + KeyPem(Server)));
        if (trustCa)
        {
            context.SetTrustedCertificatesBytes(Ca.RawData);
        }

        return context;
    }

    /// <summary>A client context trusting <see cref="Ca"/>, optionally presenting a client certificate.</summary>
    public static SecurityContext ClientContext(X509Certificate2? clientCertificate = null, bool trustCa = true)
    {
        var context = new SecurityContext();
        if (trustCa)
        {
            context.SetTrustedCertificatesBytes(System.Text.Encoding.ASCII.GetBytes(CertificatePem(Ca)));
        }

        if (clientCertificate is not null)
        {
            context.UseCertificate(clientCertificate);
        }

        return context;
    }

    private static AsymmetricAlgorithm PrivateKey(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("no key");
}
