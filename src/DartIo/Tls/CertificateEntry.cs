namespace DartIo;

/// <summary>One entry of a <see cref="CertificateDatabase"/>, as <see cref="CertificateDatabase.List()"/> reports it.</summary>
/// <param name="Nickname">The entry's name: its file name without extension, or its folder name.</param>
/// <param name="Subject">The certificate's subject distinguished name (for example <c>CN=localhost</c>).</param>
/// <param name="Issuer">The issuer's distinguished name; the same as <paramref name="Subject"/> for a self-signed certificate.</param>
/// <param name="NotBefore">When the certificate becomes valid (UTC).</param>
/// <param name="NotAfter">When the certificate expires (UTC).</param>
/// <param name="Thumbprint">The SHA-1 thumbprint in upper-case hex, as <see cref="System.Security.Cryptography.X509Certificates.X509Certificate.GetCertHashString()"/> gives it.</param>
/// <param name="HasPrivateKey">Whether the entry holds a usable private key for the certificate (a server needs one).</param>
public sealed record CertificateEntry(string Nickname, string Subject, string Issuer, DateTimeOffset NotBefore,
    DateTimeOffset NotAfter, string Thumbprint, bool HasPrivateKey);
