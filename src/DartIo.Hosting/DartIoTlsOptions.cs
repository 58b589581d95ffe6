namespace DartIo;

/// <summary>
/// TLS for a hosted server (configuration section <c>DartIo:NAME:Tls</c>): a certificate from a certificate database
/// by name, as Dart 1.x's <c>certificateName</c> binds, or from PEM or PKCS#12 files. Neither set: no TLS.
/// </summary>
public sealed class DartIoTlsOptions
{
    /// <summary>
    /// The certificate's nickname or distinguished name in the certificate database (<see cref="Database"/>, else
    /// <see cref="CertificateDatabase.Default"/>), as <see cref="CertificateDatabase.Find"/> takes it. Renewals written
    /// to the database are picked up by later handshakes. Not together with <see cref="CertificateFile"/>.
    /// </summary>
    public string? CertificateName { get; set; }

    /// <summary>The certificate database's folder for <see cref="CertificateName"/>; null: <see cref="CertificateDatabase.Default"/>.</summary>
    public string? Database { get; set; }

    /// <summary>
    /// A PEM file (end-entity certificate first, then intermediates; it may hold the key too) or a PKCS#12 file, as
    /// <see cref="SecurityContext.UseCertificateChain"/> takes it.
    /// </summary>
    public string? CertificateFile { get; set; }

    /// <summary>The private key's file (PEM or PKCS#12); null when <see cref="CertificateFile"/> holds the key.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// The password of <see cref="Database"/>'s entries, or of the files (a PKCS#12 file or an encrypted key); null when
    /// they have none. Keep it out of appsettings.json: user secrets or an environment variable
    /// (<c>DartIo__NAME__Tls__Password</c>). Never logged.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>True to ask clients for a certificate (the handshake goes on without one).</summary>
    public bool RequestClientCertificate { get; set; }

    /// <summary>Server sockets only: true to refuse clients without a valid certificate (implies <see cref="RequestClientCertificate"/>).</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>Server sockets only: the ALPN protocols offered, in order of preference; empty: no ALPN.</summary>
    public IList<string> SupportedProtocols { get; } = [];

    /// <summary>True when a certificate is configured, by name or by file.</summary>
    internal bool Enabled => !string.IsNullOrEmpty(CertificateName) || !string.IsNullOrEmpty(CertificateFile);
}
