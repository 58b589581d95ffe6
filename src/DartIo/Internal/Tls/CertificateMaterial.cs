using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DartIo.Internal.Tls;

/// <summary>
/// A certificate with its private key and the intermediate certificates sent with it, plus the
/// <see cref="SslStreamCertificateContext"/> built from them once (building it walks the chain).
/// </summary>
internal sealed class CertificateMaterial
{
    private SslStreamCertificateContext? _context;

    public CertificateMaterial(X509Certificate2 certificate, X509Certificate2Collection intermediates, string origin)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        Origin = origin;
    }

    /// <summary>The end-entity certificate; it carries its private key when the material serves as an identity.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The rest of the chain as it was given (never the end-entity certificate).</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>Where it came from, for error texts: a file name, a database entry, or "the certificate bytes".</summary>
    public string Origin { get; }

    /// <summary>The context SslStream uses to send this certificate and its chain; built on first use, then shared.</summary>
    public SslStreamCertificateContext Context
    {
        get
        {
            var context = Volatile.Read(ref _context);
            if (context is null)
            {
                // offline: never fetch missing intermediates or OCSP responses over the network during a handshake.
                context = SslStreamCertificateContext.Create(Certificate, Intermediates, offline: true);
                context = Interlocked.CompareExchange(ref _context, context, null) ?? context;
            }

            return context;
        }
    }
}
