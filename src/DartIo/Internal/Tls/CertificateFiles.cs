using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DartIo.Internal.Tls;

/// <summary>
/// Reads certificates and private keys from PEM (certificates; PKCS#8, encrypted PKCS#8, PKCS#1 and SEC1 keys),
/// DER and PKCS#12, turning every failure into a <see cref="CertificateException"/> that names the source and the reason.
/// </summary>
/// <remarks>A source is described for error texts as <c>'path'</c> or as "the … bytes"; see <see cref="Describe"/>.</remarks>
internal static class CertificateFiles
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string RsaPssOid = "1.2.840.113549.1.1.10";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string DsaOid = "1.2.840.10040.4.1";
    private const int ErrorInvalidPassword = unchecked((int)0x80070056);

    /// <summary>
    /// .NET's defaults guard against hostile files with a cost cap that NSS's own exports exceed (pk12util uses 600,000
    /// PBKDF2 iterations for the MAC and for each bag). Certificate files are the operator's own configuration, so the
    /// cap is raised enough for those, and kept otherwise.
    /// </summary>
    private static readonly Pkcs12LoaderLimits s_loaderLimits = new(Pkcs12LoaderLimits.Defaults)
    {
        MacIterationLimit = 2_000_000,
        IndividualKdfIterationLimit = 2_000_000,
        TotalKdfIterationLimit = 10_000_000,
    };

    /// <summary>The largest certificate or key file read (a long chain is a few tens of KiB).</summary>
    private const long MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>The text by which a file names itself in error messages.</summary>
    public static string Describe(string file) => $"'{file}'";

    /// <summary>
    /// Reads a whole file; a missing, unreadable or empty file, or a folder, is a <see cref="CertificateException"/> naming it.
    /// </summary>
    public static byte[] Read(string file)
    {
        if (Directory.Exists(file))
        {
            throw new CertificateException(Messages.CertificateSourceIsAFolder(Describe(file)));
        }

        byte[] data = [];
        try
        {
            // Sized before it is opened, through any links: a FIFO or a device reports 0 bytes here, and opening or
            // reading one would block or never end.
            var info = new FileInfo(file);
            var length = (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
            if (length > MaxFileBytes)
            {
                throw new CertificateException(Messages.CertificateSourceTooLarge(Describe(file), length, MaxFileBytes));
            }

            if (length > 0)
            {
                data = File.ReadAllBytes(file);
            }
        }
        catch (Exception ex) when (ex is not CertificateException
            && ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CertificateException(Messages.CertificateSourceUnreadable(Describe(file), ex.Message), null, ex);
        }

        // What `cp` or `>` leaves for a moment while a file is being replaced.
        return data.Length > 0 ? data : throw new CertificateException(Messages.CertificateSourceEmpty(Describe(file)));
    }

    /// <summary>
    /// Reads the certificates of a PEM bundle, a DER certificate or a PKCS#12 file. For PKCS#12 the certificate
    /// with a private key comes first and carries it; for PEM the first certificate is the end-entity one, and a
    /// private key block in the same text is reported as <see cref="ParsedCertificates.HasPemKey"/>.
    /// </summary>
    public static ParsedCertificates ReadCertificates(byte[] data, string? password, string source)
    {
        ThrowIfEmpty(data, source);
        if (TryGetPem(data, out var pem))
        {
            var certificates = new X509Certificate2Collection();
            var hasKey = false;
            foreach (var (label, block, _) in PemBlocks(pem))
            {
                if (label == "CERTIFICATE")
                {
                    certificates.Add(LoadDer(block, source));
                }
                else
                {
                    hasKey |= IsKeyLabel(label);
                }
            }

            if (certificates.Count == 0)
            {
                throw new CertificateException(Messages.NoCertificateIn(source));
            }

            return new ParsedCertificates(certificates, hasKey);
        }

        return ContentType(data) switch
        {
            X509ContentType.Pkcs12 => new ParsedCertificates(LoadPkcs12(data, password, source), false),
            X509ContentType.Cert => new ParsedCertificates(new X509Certificate2Collection(LoadDer(data, source)), false),
            _ => throw new CertificateException(Messages.NoCertificateIn(source)),
        };
    }

    /// <summary>
    /// Reads a private key: a PEM key block (encrypted PKCS#8 needs <paramref name="password"/>), DER PKCS#8, or
    /// the key of a PKCS#12 file. <paramref name="algorithmOid"/>, the certificate's key algorithm when known,
    /// is tried first.
    /// </summary>
    public static AsymmetricAlgorithm ReadPrivateKey(byte[] data, string? password, string source, string? algorithmOid = null)
    {
        ThrowIfEmpty(data, source);
        if (TryGetPem(data, out var pem))
        {
            foreach (var (label, _, text) in PemBlocks(pem))
            {
                if (IsKeyLabel(label))
                {
                    return ImportPemKey(label, text, password, source, algorithmOid);
                }
            }

            throw new CertificateException(pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal)
                ? Messages.LegacyEncryptedKey(source)
                : Messages.NoPrivateKeyIn(source));
        }

        if (ContentType(data) == X509ContentType.Pkcs12)
        {
            foreach (var certificate in LoadPkcs12(data, password, source))
            {
                if (certificate.HasPrivateKey)
                {
                    return PrivateKeyOf(certificate, source);
                }
            }

            throw new CertificateException(Messages.NoPrivateKeyIn(source));
        }

        return ImportDerKey(data, password, source, algorithmOid);
    }

    /// <summary>The private key a certificate carries.</summary>
    /// <exception cref="CertificateException">The key is of a kind .NET cannot use for TLS.</exception>
    public static AsymmetricAlgorithm PrivateKeyOf(X509Certificate2 certificate, string source) =>
        (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
            ?? certificate.GetDSAPrivateKey() ?? throw new CertificateException(Messages.UnsupportedKey(source));

    /// <summary>
    /// Joins a certificate and its private key into a certificate that SslStream can serve.
    /// </summary>
    /// <exception cref="CertificateException">The key is not the certificate's.</exception>
    public static X509Certificate2 Combine(X509Certificate2 certificate, AsymmetricAlgorithm key, string certificateSource, string keySource)
    {
        if (certificate.HasPrivateKey)
        {
            certificate = X509CertificateLoader.LoadCertificate(certificate.RawData); // replacing its key
        }

        X509Certificate2 combined;
        try
        {
            combined = key switch
            {
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                DSA dsa => certificate.CopyWithPrivateKey(dsa),
                _ => throw new CertificateException(Messages.UnsupportedKey(keySource)),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or CryptographicException)
        {
            throw new CertificateException(Messages.KeyDoesNotMatch(keySource, certificateSource), null, ex);
        }

        return MakeUsable(combined);
    }

    /// <summary>
    /// Windows' TLS stack cannot use a key that lives only in memory: there the certificate goes through PKCS#12 once.
    /// On Linux and macOS an in-memory key works as it is (the functional tests serve such certificates).
    /// </summary>
    public static X509Certificate2 MakeUsable(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }

    /// <summary>The certificate itself where the TLS stack can serve it; on Windows, a copy through PKCS#12 (see <see cref="MakeUsable"/>).</summary>
    public static X509Certificate2 UsableCopy(X509Certificate2 certificate) => OperatingSystem.IsWindows()
        ? X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable)
        : certificate;

    /// <summary>Splits a collection into its end-entity certificate (the one with a key, else the first) and the rest.</summary>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Others) SplitLeaf(X509Certificate2Collection certificates)
    {
        X509Certificate2? leaf = null;
        foreach (var certificate in certificates)
        {
            if (certificate.HasPrivateKey)
            {
                leaf = certificate;
                break;
            }
        }

        leaf ??= certificates[0];
        var rest = new X509Certificate2Collection();
        foreach (var certificate in certificates)
        {
            if (!ReferenceEquals(certificate, leaf))
            {
                rest.Add(certificate);
            }
        }

        return (leaf, rest);
    }

    /// <summary>No bytes at all: the platform's loaders answer with an <see cref="ArgumentException"/>, not a format error.</summary>
    private static void ThrowIfEmpty(byte[] data, string source)
    {
        if (data.Length == 0)
        {
            throw new CertificateException(Messages.CertificateSourceEmpty(source));
        }
    }

    private static X509ContentType ContentType(byte[] data)
    {
        try
        {
            return X509Certificate2.GetCertContentType(data);
        }
        catch (CryptographicException)
        {
            return X509ContentType.Unknown; // not a format the platform knows
        }
    }

    private static X509Certificate2Collection LoadPkcs12(byte[] data, string? password, string source)
    {
        X509Certificate2Collection loaded;
        try
        {
            loaded = X509CertificateLoader.LoadPkcs12Collection(data, password, X509KeyStorageFlags.Exportable, s_loaderLimits);
        }
        catch (CryptographicException ex) when (ex.HResult == ErrorInvalidPassword)
        {
            throw new CertificateException(password is null ? Messages.PasswordNeeded(source) : Messages.WrongPassword(source), null, ex);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateException(Messages.CertificateSourceUnreadable(source, ex.Message), null, ex);
        }

        if (loaded.Count == 0)
        {
            throw new CertificateException(Messages.NoCertificateIn(source));
        }

        // The certificate with the key first: it is the end-entity certificate.
        var (leaf, rest) = SplitLeaf(loaded);
        var ordered = new X509Certificate2Collection(leaf);
        ordered.AddRange(rest);
        return ordered;
    }

    private static X509Certificate2 LoadDer(ReadOnlySpan<byte> der, string source)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateException(Messages.CertificateSourceUnreadable(source, ex.Message), null, ex);
        }
    }

    private static AsymmetricAlgorithm ImportPemKey(string label, string text, string? password, string source, string? algorithmOid)
    {
        var encrypted = label == "ENCRYPTED PRIVATE KEY";
        if (encrypted && password is null)
        {
            throw new CertificateException(Messages.PasswordNeeded(source));
        }

        foreach (var create in Algorithms(algorithmOid))
        {
            var key = create();
            try
            {
                if (encrypted)
                {
                    key.ImportFromEncryptedPem(text, password);
                }
                else
                {
                    key.ImportFromPem(text);
                }

                return key;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                key.Dispose();
            }
        }

        // Encrypted PKCS#8 hides the key type: a key no algorithm could decrypt almost always means a wrong password.
        throw new CertificateException(encrypted ? Messages.WrongPassword(source) : Messages.UnsupportedKey(source));
    }

    private static AsymmetricAlgorithm ImportDerKey(byte[] data, string? password, string source, string? algorithmOid)
    {
        foreach (var create in Algorithms(algorithmOid))
        {
            var key = create();
            try
            {
                key.ImportPkcs8PrivateKey(data, out _);
                return key;
            }
            catch (CryptographicException)
            {
                if (password is not null)
                {
                    try
                    {
                        key.ImportEncryptedPkcs8PrivateKey(password, data, out _);
                        return key;
                    }
                    catch (CryptographicException)
                    {
                        // Not this algorithm, or not this password: try the next algorithm.
                    }
                }

                key.Dispose();
            }
        }

        throw new CertificateException(Messages.NoPrivateKeyIn(source));
    }

    private static IEnumerable<Func<AsymmetricAlgorithm>> Algorithms(string? preferredOid)
    {
        Func<AsymmetricAlgorithm> rsa = RSA.Create, ecdsa = ECDsa.Create, dsa = DSA.Create;
        return preferredOid switch
        {
            EcOid => [ecdsa, rsa, dsa],
            DsaOid => [dsa, rsa, ecdsa],
            RsaOid or RsaPssOid => [rsa, ecdsa, dsa],
            _ => [rsa, ecdsa, dsa],
        };
    }

    private static bool IsKeyLabel(string label) =>
        label is "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY" or "DSA PRIVATE KEY";

    private static bool TryGetPem(byte[] data, out string pem)
    {
        // PEM is ASCII; a PKCS#12 or DER file starts with an ASN.1 SEQUENCE (0x30) and never holds this marker.
        if (data.AsSpan().IndexOf("-----BEGIN "u8) >= 0)
        {
            pem = Encoding.UTF8.GetString(data);
            return true;
        }

        pem = string.Empty;
        return false;
    }

    /// <summary>Every well-formed PEM block of a text: its label, its decoded bytes and its own text.</summary>
    private static IEnumerable<(string Label, byte[] Data, string Text)> PemBlocks(string pem)
    {
        var offset = 0;
        while (offset < pem.Length && PemEncoding.TryFind(pem.AsSpan(offset), out var fields))
        {
            var rest = pem.AsSpan(offset);
            var label = rest[fields.Label].ToString();
            var data = System.Convert.FromBase64String(rest[fields.Base64Data].ToString());
            yield return (label, data, rest[fields.Location].ToString());
            offset += fields.Location.End.GetOffset(pem.Length - offset);
        }
    }
}

/// <summary>The certificates read from a source (end-entity first), and whether a PEM source also holds a private key block.</summary>
internal sealed record ParsedCertificates(X509Certificate2Collection Certificates, bool HasPemKey);
