namespace DartIo.Internal.Tls;

/// <summary>Where a <see cref="SecurityContext"/>'s identity comes from: asked once per handshake for the certificate to serve.</summary>
internal abstract class CertificateSource
{
    /// <summary>The certificate to serve now; cheap to call on every handshake.</summary>
    public abstract CertificateMaterial Current { get; }
}

/// <summary>A certificate given once (files, bytes or an <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2"/>).</summary>
internal sealed class FixedCertificateSource(CertificateMaterial material) : CertificateSource
{
    public override CertificateMaterial Current { get; } = material;
}
