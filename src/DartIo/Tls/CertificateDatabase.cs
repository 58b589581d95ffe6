using System.Security.Cryptography.X509Certificates;
using DartIo.Internal;
using DartIo.Internal.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <summary>
/// A folder of certificates with their private keys, each found by its nickname (the entry's name) or by its
/// subject's distinguished name. Plays the part of the NSS database that Dart 1.x's
/// <c>SecureServerSocket.bind(…, certificateName)</c> looked certificates up in.
/// </summary>
/// <remarks>
/// <para>An entry named <c>NICK</c> is one of these (the first that exists wins):</para>
/// <list type="bullet">
/// <item><c>NICK.pfx</c> or <c>NICK.p12</c>: PKCS#12, unlocked with the database password;</item>
/// <item><c>NICK.pem</c>: the certificate chain, end-entity first, with the private key in the same file or in <c>NICK.key</c>
/// (an encrypted key is unlocked with the database password);</item>
/// <item>a folder <c>NICK/</c> in certbot's layout: <c>fullchain.pem</c> (or <c>cert.pem</c> and <c>chain.pem</c>) and
/// <c>privkey.pem</c>. So <c>/etc/letsencrypt/live</c> is a database whose nicknames are the domain names.</item>
/// </list>
/// <para>
/// <see cref="Add"/> writes PKCS#12 under the database password, atomically (a reader never sees half a file) and
/// readable by the owner only. Errors are <see cref="CertificateException"/>s naming the certificate name, the
/// folder and what was wrong. Private keys and passwords are never logged.
/// </para>
/// <para>
/// A bad entry (an empty, truncated or foreign file, a wrong password, a key that does not match, a file that
/// cannot be read, a folder named like an entry's file) is a <see cref="CertificateException"/> naming the file when
/// it is looked up by its own nickname, and is otherwise skipped with a warning: it never affects the other entries,
/// their lookups by nickname or distinguished name, or <see cref="List()"/>.
/// </para>
/// </remarks>
public sealed partial class CertificateDatabase
{
    /// <summary>The environment variable that names the default database's folder.</summary>
    public const string DirectoryVariable = "DARTIO_CERTDB";

    /// <summary>The environment variable that holds the default database's password.</summary>
    public const string PasswordVariable = "DARTIO_CERTDB_PASSWORD";

    private static CertificateDatabase? s_default;

    private readonly string? _password;
    private readonly ILogger _logger;

    private CertificateDatabase(string directory, string? password)
    {
        Directory = directory;
        _password = password;
        _logger = DartIoLogging.CreateLogger(Log.TlsCategory);
    }

    /// <summary>
    /// The database the <c>certificateName</c> binds use: the folder in the <c>DARTIO_CERTDB</c> environment variable
    /// (password in <c>DARTIO_CERTDB_PASSWORD</c>), else <c>dartio/certdb</c> under the user's local data folder
    /// (<see cref="Environment.SpecialFolder.LocalApplicationData"/>, <c>~/.local/share</c> on Linux). Read from the
    /// environment on first use; may be replaced.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public static CertificateDatabase Default
    {
        get => LazyInitializer.EnsureInitialized(ref s_default, FromEnvironment);
        set => Volatile.Write(ref s_default, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The database's folder, as a full path.</summary>
    public string Directory { get; }

    /// <summary>The clock for "valid now" and for how often renewals are looked for (tests replace it).</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Opens a database folder. Nothing is read or created until it is used; a missing folder is an empty database.</summary>
    /// <param name="directory">The folder, absolute or relative to the current directory.</param>
    /// <param name="password">The password of its PKCS#12 entries and encrypted keys; null when they have none.</param>
    /// <returns>The database.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    public static CertificateDatabase Open(string directory, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return new CertificateDatabase(Path.GetFullPath(directory), password);
    }

    /// <summary>
    /// Finds a certificate with its private key. Mirrors the lookup of Dart's <c>certificateName</c> binds.
    /// </summary>
    /// <remarks>
    /// A name that contains <c>CN=</c> is a distinguished name, compared RDN by RDN with each entry's subject: attribute
    /// types and values ignore case, spacing around <c>,</c> <c>+</c> <c>=</c> is ignored, the order counts. If several
    /// entries match, the one with a private key, valid now, with the latest expiry wins. Any other name is a nickname.
    /// </remarks>
    /// <param name="certificateName">A nickname, or a distinguished name such as <c>CN=localhost, O=Example</c>.</param>
    /// <returns>The certificate, carrying its private key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificateName"/> is null.</exception>
    /// <exception cref="CertificateException">
    /// Not found, no private key, a wrong or missing password, or a broken entry; the message names
    /// <paramref name="certificateName"/>, the folder and what was wrong.
    /// </exception>
    public X509Certificate2 Find(string certificateName)
    {
        ArgumentNullException.ThrowIfNull(certificateName);
        return Load(certificateName).Certificate;
    }

    /// <summary>
    /// Lists the entries, by nickname. An entry that cannot be read (empty, truncated or foreign data, a wrong password,
    /// a key that does not match, no permission, a folder named like an entry's file) is left out and logged as a
    /// warning that names the file and the reason; the others are listed.
    /// </summary>
    /// <returns>The entries; empty when the folder does not exist.</returns>
    /// <exception cref="CertificateException">The database's path is a file, or the folder cannot be listed.</exception>
    public IReadOnlyList<CertificateEntry> List() => ListCore(onUnreadable: null);

    /// <summary>
    /// Lists the entries, by nickname, and reports each entry that cannot be read to <paramref name="onUnreadable"/>
    /// instead of logging it: for a health check or a tool that shows the broken entries beside the good ones.
    /// </summary>
    /// <param name="onUnreadable">
    /// Called, in the listing's flow, with the nickname and the error (which names the file and the reason) of each
    /// entry that is left out; the other entries are listed whatever it does, unless it throws.
    /// </param>
    /// <returns>The entries that could be read; empty when the folder does not exist.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="onUnreadable"/> is null.</exception>
    /// <exception cref="CertificateException">The database's path is a file, or the folder cannot be listed.</exception>
    public IReadOnlyList<CertificateEntry> List(Action<string, CertificateException> onUnreadable)
    {
        ArgumentNullException.ThrowIfNull(onUnreadable);
        return ListCore(onUnreadable);
    }

    private List<CertificateEntry> ListCore(Action<string, CertificateException>? onUnreadable)
    {
        var entries = new List<CertificateEntry>();
        foreach (var (nickname, layout, path) in EnumerateEntries())
        {
            try
            {
                var material = Read(nickname, layout, path, out _);
                var certificate = material.Certificate;
                entries.Add(new CertificateEntry(nickname, certificate.Subject, certificate.Issuer,
                    new DateTimeOffset(certificate.NotBefore).ToUniversalTime(), new DateTimeOffset(certificate.NotAfter).ToUniversalTime(),
                    certificate.Thumbprint, certificate.HasPrivateKey));
            }
            catch (CertificateException ex)
            {
                if (onUnreadable is null)
                {
                    Log.DatabaseEntryUnreadable(_logger, nickname, Directory, ex.Message);
                }
                else
                {
                    onUnreadable(nickname, ex);
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// Adds a certificate with its private key under a nickname, replacing any entry of that nickname (in any layout).
    /// The entry is written as <c>NICK.pfx</c> under the database password, atomically and readable by the owner only
    /// (mode 0600 on Unix); the folder is created (mode 0700) if needed.
    /// </summary>
    /// <param name="nickname">The entry's name: a file name without path separators, not starting with a dot.</param>
    /// <param name="certificate">The certificate; it must carry an exportable private key.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="nickname"/> is not a valid entry name, or <paramref name="certificate"/> has no private key.</exception>
    /// <exception cref="CertificateException">The key cannot be exported, or the entry cannot be written.</exception>
    public void Add(string nickname, X509Certificate2 certificate)
    {
        ValidateNickname(nickname);
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException(Messages.CertificateNeedsKey(certificate.Subject), nameof(certificate));
        }

        Write(nickname, new X509Certificate2Collection(certificate));
    }

    /// <summary>
    /// Adds the certificate of a PEM or PKCS#12 file (with its chain) and its private key under a nickname, as
    /// <see cref="Add"/> does. The <c>dartio certs add</c> command.
    /// </summary>
    /// <param name="nickname">The entry's name.</param>
    /// <param name="certificateFile">A PEM file (end-entity certificate first, then intermediates; may hold the key too) or a PKCS#12 file.</param>
    /// <param name="keyFile">The private key's file (PEM or PKCS#12); null when <paramref name="certificateFile"/> holds the key.</param>
    /// <param name="password">The password of the files given (PKCS#12 or an encrypted key); null when they have none. The entry is stored under the database password.</param>
    /// <exception cref="ArgumentNullException"><paramref name="nickname"/> or <paramref name="certificateFile"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="nickname"/> is not a valid entry name.</exception>
    /// <exception cref="CertificateException">A file cannot be read, a password is wrong, the key is missing or does not match, or the entry cannot be written.</exception>
    public void Import(string nickname, string certificateFile, string? keyFile = null, string? password = null)
    {
        ValidateNickname(nickname);
        ArgumentNullException.ThrowIfNull(certificateFile);
        var source = CertificateFiles.Describe(certificateFile);
        var data = CertificateFiles.Read(certificateFile);
        var parsed = CertificateFiles.ReadCertificates(data, password, source);
        var (leaf, rest) = CertificateFiles.SplitLeaf(parsed.Certificates);
        if (keyFile is not null || !leaf.HasPrivateKey)
        {
            var (keyData, keySource) = keyFile is not null ? (CertificateFiles.Read(keyFile), CertificateFiles.Describe(keyFile))
                : parsed.HasPemKey ? (data, source)
                : throw new CertificateException(Messages.CertificateWithoutKey(source));
            var key = CertificateFiles.ReadPrivateKey(keyData, password, keySource, leaf.GetKeyAlgorithm());
            leaf = CertificateFiles.Combine(leaf, key, source, keySource);
        }

        var chain = new X509Certificate2Collection(leaf);
        chain.AddRange(rest);
        Write(nickname, chain);
    }

    /// <summary>Removes the entry of a nickname, in whichever layout it is (a certbot folder is deleted with its files).</summary>
    /// <param name="nickname">The entry's name.</param>
    /// <returns>True when there was such an entry.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="nickname"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="nickname"/> is not a valid entry name.</exception>
    /// <exception cref="CertificateException">The entry exists but cannot be deleted.</exception>
    public bool Remove(string nickname)
    {
        ValidateNickname(nickname);
        bool removed;
        try
        {
            removed = DeleteEntry(nickname, keep: null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateException(Messages.DatabaseProblem(nickname, Directory, Messages.CannotDelete(ex.Message)), null, ex);
        }

        if (removed)
        {
            Log.CertificateRemoved(_logger, nickname, Directory);
        }

        return removed;
    }

    private static CertificateDatabase FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The default database as the environment describes it.</summary>
    internal static CertificateDatabase FromEnvironment(Func<string, string?> variable)
    {
        var directory = variable(DirectoryVariable);
        if (string.IsNullOrEmpty(directory))
        {
            directory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData,
                Environment.SpecialFolderOption.DoNotVerify), "dartio", "certdb");
        }

        return Open(directory, variable(PasswordVariable));
    }

    private static bool IsValidNickname(string nickname) =>
        nickname.Length > 0 && nickname[0] != '.' && nickname.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 &&
        nickname.IndexOfAny(['/', '\\']) < 0 && nickname.Trim() == nickname;

    private static void ValidateNickname(string nickname)
    {
        ArgumentNullException.ThrowIfNull(nickname);
        if (!IsValidNickname(nickname))
        {
            throw new ArgumentException(Messages.InvalidNickname(nickname), nameof(nickname));
        }
    }
}
