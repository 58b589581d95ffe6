using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DartIo.Internal;
using DartIo.Internal.Tls;

namespace DartIo;

/// <summary>
/// The identity and trust of TLS connections: the certificate chain and private key a server (or a client that
/// authenticates) presents, the certificates that peers' certificates must chain to, the ALPN protocols and the
/// oldest TLS version accepted. Mirrors Dart's <c>SecurityContext</c>.
/// </summary>
/// <remarks>
/// <para>
/// A context may be changed at any time and shared by servers and clients; each handshake uses its state at that
/// moment. <see cref="UseCertificateChain"/> and <see cref="UsePrivateKey"/> may come in either order: the identity
/// is complete once both are there and the key matches the certificate.
/// </para>
/// <para>
/// Files are read when the method is called; errors are <see cref="CertificateException"/>s that name the file
/// (or "the … bytes") and the reason: unreadable, no certificate or key in it, a wrong or missing password, a key
/// that does not match the certificate.
/// </para>
/// </remarks>
public sealed partial class SecurityContext
{
    private static SecurityContext? s_defaultContext;

    private readonly Lock _gate = new();
    private readonly bool _withTrustedRoots;
    private TlsProtocolVersion _minimumVersion = TlsProtocolVersion.Tls12;
    private CertificateSource? _identity;
    private X509Certificate2Collection? _chain;     // from UseCertificateChain, end-entity first, when it had no key of its own
    private string? _chainSource;
    private AsymmetricAlgorithm? _key;              // from UsePrivateKey
    private string? _keySource;
    private bool _identityFromParts;                // _identity was made from _chain and _key
    private X509Certificate2Collection _trusted = []; // replaced, never changed: handshakes read it without the lock
    private List<SslApplicationProtocol>? _serverProtocols;
    private List<SslApplicationProtocol>? _clientProtocols;

    /// <summary>Creates an empty context: no certificate, no trusted certificates, no ALPN protocols, TLS 1.2 and later.</summary>
    /// <param name="withTrustedRoots">
    /// True to also trust the system's root certificates when verifying peers; false (the default) to trust only
    /// the certificates given to <see cref="SetTrustedCertificates"/>.
    /// </param>
    public SecurityContext(bool withTrustedRoots = false) => _withTrustedRoots = withTrustedRoots;

    /// <summary>
    /// The context clients use when they are given none: it trusts the system's roots and has no certificate.
    /// Mirrors Dart's <c>SecurityContext.defaultContext</c>.
    /// </summary>
    public static SecurityContext DefaultContext =>
        LazyInitializer.EnsureInitialized(ref s_defaultContext, static () => new SecurityContext(withTrustedRoots: true));

    /// <summary>
    /// Whether ALPN (choosing an application protocol such as <c>h2</c> in the handshake) works on this platform.
    /// Mirrors Dart's <c>SecurityContext.alpnSupported</c>; true on every platform .NET's TLS stack runs on.
    /// </summary>
    public static bool AlpnSupported => true;

    /// <summary>
    /// The oldest TLS version this context accepts: <see cref="TlsProtocolVersion.Tls12"/> (the default) or
    /// <see cref="TlsProtocolVersion.Tls13"/>. SSL 3, TLS 1.0 and 1.1 are never enabled. Mirrors Dart's
    /// <c>minimumTlsProtocolVersion</c>. Applies to handshakes that start after it is set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a <see cref="TlsProtocolVersion"/>.</exception>
    public TlsProtocolVersion MinimumTlsProtocolVersion
    {
        get => _minimumVersion;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, Messages.UnknownTlsVersion);
            }

            _minimumVersion = value;
        }
    }

    /// <summary>
    /// Sets the certificate chain to present: a PEM file of certificates, the end-entity certificate first and
    /// then its intermediates, or a PKCS#12 file. Mirrors Dart's <c>useCertificateChain</c>.
    /// </summary>
    /// <remarks>
    /// When the file also holds the private key (PKCS#12, or a PEM file with a key block), the identity is complete;
    /// otherwise <see cref="UsePrivateKey"/> supplies the key (before or after this call).
    /// </remarks>
    /// <param name="file">The path of the PEM or PKCS#12 file.</param>
    /// <param name="password">The PKCS#12 password or the PEM key's password; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is null.</exception>
    /// <exception cref="CertificateException">
    /// The file cannot be read, holds no certificate, the password is wrong or missing, or the key given earlier does
    /// not match this certificate (and did not belong to a complete identity that this call replaces).
    /// </exception>
    public void UseCertificateChain(string file, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        SetChain(CertificateFiles.Read(file), password, CertificateFiles.Describe(file));
    }

    /// <summary>Sets the certificate chain from the bytes of a PEM or PKCS#12 file. Mirrors Dart's <c>useCertificateChainBytes</c>.</summary>
    /// <inheritdoc cref="UseCertificateChain" path="/remarks"/>
    /// <param name="chainBytes">The file's bytes.</param>
    /// <param name="password">The PKCS#12 password or the PEM key's password; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chainBytes"/> is null.</exception>
    /// <exception cref="CertificateException">The bytes hold no certificate, the password is wrong or missing, or the earlier key does not match.</exception>
    public void UseCertificateChainBytes(byte[] chainBytes, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(chainBytes);
        SetChain(chainBytes, password, Messages.ChainBytesSource);
    }

    /// <summary>
    /// Sets the private key of the certificate chain: a PEM file (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1) or a
    /// PKCS#12 file. Mirrors Dart's <c>usePrivateKey</c>.
    /// </summary>
    /// <param name="file">The path of the key file.</param>
    /// <param name="password">The password of an encrypted key or of a PKCS#12 file; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is null.</exception>
    /// <exception cref="CertificateException">
    /// The file cannot be read, holds no private key, the password is wrong or missing, or the key does not match
    /// the certificate chain given earlier.
    /// </exception>
    public void UsePrivateKey(string file, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        SetKey(CertificateFiles.Read(file), password, CertificateFiles.Describe(file));
    }

    /// <summary>Sets the private key from the bytes of a PEM or PKCS#12 file. Mirrors Dart's <c>usePrivateKeyBytes</c>.</summary>
    /// <param name="keyBytes">The file's bytes.</param>
    /// <param name="password">The password of an encrypted key or of a PKCS#12 file; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="keyBytes"/> is null.</exception>
    /// <exception cref="CertificateException">The bytes hold no private key, the password is wrong or missing, or the key does not match the chain.</exception>
    public void UsePrivateKeyBytes(byte[] keyBytes, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(keyBytes);
        SetKey(keyBytes, password, Messages.KeyBytesSource);
    }

    /// <summary>
    /// Sets the identity from a certificate that carries its private key (for example one made with
    /// <see cref="CertificateRequest"/> or loaded from PKCS#12). Replaces any chain and key set before. No Dart
    /// counterpart: the .NET way to hand over a certificate.
    /// </summary>
    /// <param name="certificate">The certificate, with its private key. It is used as it is, not copied; do not dispose it while the context is in use.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="certificate"/> has no private key.</exception>
    public void UseCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException(Messages.CertificateNeedsKey(certificate.Subject), nameof(certificate));
        }

        var key = CertificateFiles.PrivateKeyOf(certificate, Messages.CertificateObjectSource(certificate.Subject));
        lock (_gate)
        {
            _chain = new X509Certificate2Collection(certificate);
            _chainSource = _keySource = Messages.CertificateObjectSource(certificate.Subject);
            _key = key;
            _identity = new FixedCertificateSource(new CertificateMaterial(CertificateFiles.UsableCopy(certificate), [], _chainSource));
            _identityFromParts = true;
        }
    }

    /// <summary>
    /// Adds certificates that peers' certificates must chain to: a PEM file of one or more certificates, a DER
    /// certificate or a PKCS#12 file. Calls add up. Mirrors Dart's <c>setTrustedCertificates</c>.
    /// </summary>
    /// <remarks>
    /// Clients verify servers against these (and the system's roots with <c>withTrustedRoots</c>); servers that
    /// request client certificates verify them against these where there are any.
    /// </remarks>
    /// <param name="file">The path of the file.</param>
    /// <param name="password">The PKCS#12 password; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="file"/> is null.</exception>
    /// <exception cref="CertificateException">The file cannot be read, holds no certificate, or the password is wrong.</exception>
    public void SetTrustedCertificates(string file, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        AddTrusted(CertificateFiles.Read(file), password, CertificateFiles.Describe(file));
    }

    /// <summary>Adds trusted certificates from the bytes of a PEM, DER or PKCS#12 file. Mirrors Dart's <c>setTrustedCertificatesBytes</c>.</summary>
    /// <inheritdoc cref="SetTrustedCertificates" path="/remarks"/>
    /// <param name="certBytes">The file's bytes.</param>
    /// <param name="password">The PKCS#12 password; null when there is none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="certBytes"/> is null.</exception>
    /// <exception cref="CertificateException">The bytes hold no certificate, or the password is wrong.</exception>
    public void SetTrustedCertificatesBytes(byte[] certBytes, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(certBytes);
        AddTrusted(certBytes, password, Messages.TrustedBytesSource);
    }

    /// <summary>
    /// Sets the ALPN protocols, most preferred first, offered by clients or accepted by servers that use this
    /// context and give no list of their own. Mirrors Dart's <c>setAlpnProtocols</c>.
    /// </summary>
    /// <remarks>A server picks the first of its protocols that the client offers; with no overlap, none is selected.</remarks>
    /// <param name="protocols">The protocol names, such as <c>h2</c> and <c>http/1.1</c>; empty for none.</param>
    /// <param name="isServer">True to set the list servers use, false for the list clients use.</param>
    /// <exception cref="ArgumentNullException"><paramref name="protocols"/> is null.</exception>
    /// <exception cref="ArgumentException">A name is empty or longer than 255 bytes of UTF-8, or the list exceeds 8191 bytes encoded.</exception>
    public void SetAlpnProtocols(IReadOnlyList<string> protocols, bool isServer)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        var converted = AlpnProtocols.Convert(protocols, nameof(protocols));
        lock (_gate)
        {
            if (isServer)
            {
                _serverProtocols = converted;
            }
            else
            {
                _clientProtocols = converted;
            }
        }
    }

    /// <summary>
    /// Creates a context whose identity is a certificate database entry, found by nickname or distinguished name
    /// (see <see cref="CertificateDatabase.Find"/>). The entry is followed on disk: a renewed certificate is used by
    /// new handshakes; a broken replacement keeps the previous certificate and is logged. No Dart counterpart (Dart's
    /// <c>certificateName</c> binds did this inside the bind).
    /// </summary>
    /// <param name="database">The database, for example <see cref="CertificateDatabase.Default"/>.</param>
    /// <param name="certificateName">A nickname, or a distinguished name (it contains <c>CN=</c>).</param>
    /// <returns>A context with that identity, no trusted certificates and TLS 1.2 and later.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="CertificateException">
    /// The entry is not found, has no private key, or cannot be read (wrong password, broken file); the message
    /// names the certificate name, the database folder and what was wrong.
    /// </exception>
    public static SecurityContext FromCertificateDatabase(CertificateDatabase database, string certificateName)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(certificateName);
        var context = new SecurityContext(withTrustedRoots: false);
        context._identity = new DatabaseCertificateSource(database, certificateName);
        return context;
    }

    private void SetChain(byte[] data, string? password, string source)
    {
        var parsed = CertificateFiles.ReadCertificates(data, password, source);
        var (leaf, rest) = CertificateFiles.SplitLeaf(parsed.Certificates);
        var ownKey = leaf.HasPrivateKey ? CertificateFiles.PrivateKeyOf(leaf, source)
            : parsed.HasPemKey ? CertificateFiles.ReadPrivateKey(data, password, source, leaf.GetKeyAlgorithm())
            : null;
        var ordered = new X509Certificate2Collection(leaf);
        ordered.AddRange(rest);
        lock (_gate)
        {
            if (ownKey is not null)
            {
                Join(ordered, source, ownKey, source, pairIsNew: true);
            }
            else
            {
                Join(ordered, source, _key, _keySource, pairIsNew: false);
            }
        }
    }

    private void SetKey(byte[] data, string? password, string source)
    {
        string? algorithm;
        lock (_gate)
        {
            algorithm = _chain?[0].GetKeyAlgorithm();
        }

        var key = CertificateFiles.ReadPrivateKey(data, password, source, algorithm);
        lock (_gate)
        {
            Join(_chain, _chainSource, key, source, pairIsNew: false);
        }
    }

    /// <summary>
    /// Stores a new chain or key and, when both are there, makes the identity. A key that does not match is an error,
    /// unless the other half belonged to the identity in use (then this call starts a new pair and waits for its half)
    /// and <paramref name="pairIsNew"/> is false. Called under the lock; changes nothing when it throws.
    /// </summary>
    private void Join(X509Certificate2Collection? chain, string? chainSource, AsymmetricAlgorithm? key, string? keySource, bool pairIsNew)
    {
        CertificateSource? identity = null;
        var fromParts = false;
        if (chain is not null && key is not null)
        {
            try
            {
                var rest = new X509Certificate2Collection();
                for (var i = 1; i < chain.Count; i++)
                {
                    rest.Add(chain[i]);
                }

                identity = new FixedCertificateSource(new CertificateMaterial(
                    CertificateFiles.Combine(chain[0], key, chainSource!, keySource!), rest, chainSource!));
                fromParts = true;
            }
            catch (CertificateException) when (_identityFromParts && !pairIsNew)
            {
                // The old half belonged to the identity being replaced: wait for the new half.
            }
        }

        _chain = chain;
        _chainSource = chainSource;
        _key = key;
        _keySource = keySource;
        _identity = identity;
        _identityFromParts = fromParts;
    }

    private void AddTrusted(byte[] data, string? password, string source)
    {
        var parsed = CertificateFiles.ReadCertificates(data, password, source);
        lock (_gate)
        {
            var trusted = new X509Certificate2Collection(_trusted);
            trusted.AddRange(parsed.Certificates);
            _trusted = trusted;
        }
    }
}
