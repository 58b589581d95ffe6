using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DartIo.Internal.Tls;

/// <summary>
/// Verifies a peer's certificate for one handshake against a context's trust: its trusted certificates
/// (as the only roots) and, with <c>withTrustedRoots</c>, the system's roots. Keeps the reason of a failure
/// for the error text.
/// </summary>
internal sealed class PeerVerification(X509Certificate2Collection trusted, bool withTrustedRoots)
{
    /// <summary>Why the peer's certificate was refused; null while it was not.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// A client's check of the server: the certificate must chain to a trusted root and match the host name;
    /// otherwise <paramref name="onBadCertificate"/> decides (Dart's rule), and without it the handshake fails.
    /// </summary>
    public bool VerifyServer(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors,
        Func<X509Certificate2, bool>? onBadCertificate)
    {
        if (certificate is null)
        {
            Failure = Messages.PeerSentNoCertificate;
            return false;
        }

        var peer = AsCertificate2(certificate);
        string? failure = null;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            failure = Messages.CertificateNameMismatch;
        }
        else if (!IsTrusted(peer, chain, errors))
        {
            failure = Messages.CertificateNotTrusted(peer.Subject, peer.Issuer);
        }

        if (failure is null)
        {
            return true;
        }

        if (onBadCertificate?.Invoke(peer) == true)
        {
            return true;
        }

        Failure = failure;
        return false;
    }

    /// <summary>
    /// A server's check of a client: no certificate is fine unless it is required; one that is sent must chain
    /// to the context's trusted certificates (or the system's roots with <c>withTrustedRoots</c>) where the context has any.
    /// </summary>
    public bool VerifyClient(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool required)
    {
        if (certificate is null)
        {
            if (required)
            {
                Failure = Messages.PeerSentNoCertificate;
            }

            return !required;
        }

        if (trusted.Count == 0 && !withTrustedRoots)
        {
            return true; // nothing to verify against: the application sees PeerCertificate and decides
        }

        var peer = AsCertificate2(certificate);
        if (IsTrusted(peer, chain, errors))
        {
            return true;
        }

        Failure = Messages.CertificateNotTrusted(peer.Subject, peer.Issuer);
        return false;
    }

    /// <summary>The certificate as an <see cref="X509Certificate2"/> (SslStream already hands out one).</summary>
    public static X509Certificate2 AsCertificate2(X509Certificate certificate) =>
        certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());

    private bool IsTrusted(X509Certificate2 peer, X509Chain? presented, SslPolicyErrors errors)
    {
        if (withTrustedRoots && (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0)
        {
            return true; // SslStream built the chain to the system's roots
        }

        if (trusted.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
        {
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore); // the intermediates the peer sent
        }

        try
        {
            return chain.Build(peer);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, peer))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }
}
