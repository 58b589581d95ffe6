using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
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
/// their lookups by nickname or distinguished name, or <see cref="List"/>.
/// </para>
/// </remarks>
public sealed class CertificateDatabase
{
    /// <summary>The environment variable that names the default database's folder.</summary>
    public const string DirectoryVariable = "DARTIO_CERTDB";

    /// <summary>The environment variable that holds the default database's password.</summary>
    public const string PasswordVariable = "DARTIO_CERTDB_PASSWORD";

    private const string FullChainFile = "fullchain.pem";
    private const string CertFile = "cert.pem";
    private const string ChainFile = "chain.pem";
    private const string PrivateKeyFile = "privkey.pem";

    private static readonly string[] s_fileExtensions = [".pfx", ".p12", ".pem"];
    private static CertificateDatabase? s_default;

    private readonly string? _password;
    private readonly ILogger _logger;

    private CertificateDatabase(string directory, string? password)
    {
        Directory = directory;
        _password = password;
        _logger = DartIoLogging.CreateLogger(Log.TlsCategory);
    }

    private enum Layout
    {
        Pkcs12,
        Pem,
        Certbot,
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
    public IReadOnlyList<CertificateEntry> List()
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
                Log.DatabaseEntryUnreadable(_logger, nickname, Directory, ex.Message);
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

    /// <summary>Finds an entry with its private key, with the chain to send with it.</summary>
    /// <exception cref="CertificateException">Not found, no private key, wrong password, broken entry.</exception>
    internal CertificateMaterial Load(string certificateName)
    {
        if (FolderProblem() is { } problem)
        {
            throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, Messages.NotFoundBecause(problem)));
        }

        if (DistinguishedName.IsDistinguishedName(certificateName))
        {
            return LoadByDistinguishedName(certificateName);
        }

        if (!IsValidNickname(certificateName) || Locate(certificateName) is not { } entry)
        {
            throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, Messages.NicknameNotFound(certificateName)));
        }

        CertificateMaterial material;
        string? keyProblem;
        try
        {
            material = Read(entry.Nickname, entry.Layout, entry.Path, out keyProblem);
        }
        catch (CertificateException ex)
        {
            throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, ex.Message), ex.OSError, ex);
        }

        return keyProblem is null ? material
            : throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, keyProblem));
    }

    /// <summary>
    /// A summary of the files a name depends on (size, time, link target), to notice a renewal on disk cheaply.
    /// A nickname depends on its entry's possible files; a distinguished name on every entry.
    /// </summary>
    internal string Fingerprint(string certificateName)
    {
        var text = new StringBuilder();
        try
        {
            if (!DistinguishedName.IsDistinguishedName(certificateName))
            {
                if (IsValidNickname(certificateName))
                {
                    foreach (var path in EntryFiles(certificateName))
                    {
                        Stamp(text, path);
                    }
                }
            }
            else if (System.IO.Directory.Exists(Directory))
            {
                foreach (var path in System.IO.Directory.EnumerateFileSystemEntries(Directory).Order(StringComparer.Ordinal))
                {
                    Stamp(text, path);
                    if (System.IO.Directory.Exists(path))
                    {
                        foreach (var file in new[] { FullChainFile, CertFile, ChainFile, PrivateKeyFile })
                        {
                            Stamp(text, Path.Combine(path, file));
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            text.Append("unlistable:").Append(ex.GetType().Name);
        }

        return text.ToString();
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

    private CertificateMaterial LoadByDistinguishedName(string certificateName)
    {
        var wanted = DistinguishedName.TryParse(certificateName)
            ?? throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, Messages.NotADistinguishedName));
        var now = TimeProvider.GetUtcNow();
        CertificateMaterial? best = null;
        string? bestKeyProblem = null;
        var unreadable = new List<string>();
        foreach (var (nickname, layout, path) in EnumerateEntries())
        {
            CertificateMaterial material;
            string? keyProblem;
            try
            {
                material = Read(nickname, layout, path, out keyProblem);
            }
            catch (CertificateException ex)
            {
                Log.DatabaseEntryUnreadable(_logger, nickname, Directory, ex.Message);
                unreadable.Add(ex.Message);
                continue;
            }

            if (DistinguishedName.FromX500(material.Certificate.SubjectName).Matches(wanted) &&
                (best is null || Rank(material, keyProblem, now).CompareTo(Rank(best, bestKeyProblem, now)) > 0))
            {
                best = material;
                bestKeyProblem = keyProblem;
            }
        }

        if (best is null)
        {
            throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory,
                Messages.DistinguishedNameNotFound(unreadable)));
        }

        return bestKeyProblem is null ? best
            : throw new CertificateException(Messages.DatabaseProblem(certificateName, Directory, bestKeyProblem));
    }

    /// <summary>Orders matches: a private key first, then valid now, then the latest expiry.</summary>
    private static (bool, bool, DateTime) Rank(CertificateMaterial material, string? keyProblem, DateTimeOffset now)
    {
        var certificate = material.Certificate;
        var notBefore = certificate.NotBefore.ToUniversalTime();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        return (keyProblem is null, notBefore <= now.UtcDateTime && now.UtcDateTime <= notAfter, notAfter);
    }

    /// <summary>
    /// Reads an entry. An entry without any private key is returned with the certificate alone and the reason in
    /// <paramref name="keyProblem"/>, so that listing can still show it (a CA certificate, say). Everything else that
    /// is wrong, a key file that is there but cannot be used included, throws: the entry is bad.
    /// </summary>
    private CertificateMaterial Read(string nickname, Layout layout, string path, out string? keyProblem)
    {
        keyProblem = null;
        string certificateFile;
        byte[] certificateData;
        string? keyFile;
        switch (layout)
        {
            case Layout.Pkcs12:
                var source = CertificateFiles.Describe(path);
                var parsed = CertificateFiles.ReadCertificates(CertificateFiles.Read(path), _password, source);
                var (leaf, rest) = CertificateFiles.SplitLeaf(parsed.Certificates);
                if (!leaf.HasPrivateKey)
                {
                    keyProblem = Messages.NoPrivateKeyIn(source);
                }

                return new CertificateMaterial(leaf.HasPrivateKey ? CertificateFiles.MakeUsable(leaf) : leaf, rest, source);

            case Layout.Pem:
                certificateFile = path;
                certificateData = CertificateFiles.Read(path);
                keyFile = Path.Combine(Directory, nickname + ".key");
                break;

            default:
                var fullChain = Path.Combine(path, FullChainFile);
                certificateFile = Path.Exists(fullChain) ? fullChain : Path.Combine(path, CertFile);
                certificateData = CertificateFiles.Read(certificateFile);
                var chainFile = Path.Combine(path, ChainFile);
                if (certificateFile != fullChain && Path.Exists(chainFile))
                {
                    certificateData = [.. certificateData, (byte)'\n', .. CertificateFiles.Read(chainFile)];
                }

                keyFile = Path.Combine(path, PrivateKeyFile);
                break;
        }

        var certificateSource = CertificateFiles.Describe(certificateFile);
        var certificates = CertificateFiles.ReadCertificates(certificateData, _password, certificateSource);
        var (certificate, intermediates) = CertificateFiles.SplitLeaf(certificates.Certificates);
        if (!certificates.HasPemKey && !Path.Exists(keyFile))
        {
            keyProblem = Messages.EntryWithoutKey(certificateSource, keyFile);
            return new CertificateMaterial(certificate, intermediates, certificateSource);
        }

        var (keyData, keySource) = certificates.HasPemKey
            ? (certificateData, certificateSource)
            : (CertificateFiles.Read(keyFile), CertificateFiles.Describe(keyFile));
        var key = CertificateFiles.ReadPrivateKey(keyData, _password, keySource, certificate.GetKeyAlgorithm());
        return new CertificateMaterial(CertificateFiles.Combine(certificate, key, certificateSource, keySource), intermediates, certificateSource);
    }

    /// <summary>
    /// The entry of a nickname, in the order of precedence of the layouts. Anything at an entry file's path counts,
    /// so that a folder or a dangling link there is a bad entry that says so, not a nickname that is "not found".
    /// </summary>
    private (string Nickname, Layout Layout, string Path)? Locate(string nickname)
    {
        foreach (var extension in s_fileExtensions)
        {
            var file = Path.Combine(Directory, nickname + extension);
            if (IsEntryFile(file))
            {
                return (nickname, extension == ".pem" ? Layout.Pem : Layout.Pkcs12, file);
            }
        }

        var folder = Path.Combine(Directory, nickname);
        return IsCertbotFolder(folder) ? (nickname, Layout.Certbot, folder) : null;
    }

    /// <summary>Every entry, one per nickname, sorted by nickname.</summary>
    private List<(string Nickname, Layout Layout, string Path)> EnumerateEntries()
    {
        if (FolderProblem() is { } problem)
        {
            return problem == Messages.DatabaseFolderMissing ? []
                : throw new CertificateException(Messages.DatabaseUnlistable(Directory, problem));
        }

        var nicknames = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var path in System.IO.Directory.EnumerateFileSystemEntries(Directory))
            {
                var name = Path.GetFileName(path);
                var extension = Path.GetExtension(name);
                if (s_fileExtensions.Contains(extension, StringComparer.Ordinal) && IsEntryFile(path))
                {
                    nicknames.Add(name[..^extension.Length]);
                }
                else if (IsCertbotFolder(path))
                {
                    nicknames.Add(name);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateException(Messages.DatabaseUnlistable(Directory, ex.Message), null, ex);
        }

        var entries = new List<(string, Layout, string)>();
        foreach (var nickname in nicknames)
        {
            if (IsValidNickname(nickname) && Locate(nickname) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Why the database's path is no folder to read entries from; null when it is one.</summary>
    private string? FolderProblem() =>
        System.IO.Directory.Exists(Directory) ? null
            : Path.Exists(Directory) ? Messages.DatabaseIsAFile
            : Messages.DatabaseFolderMissing;

    /// <summary>Whether something (a file, a link, a folder that is not in certbot's layout) is at an entry file's path.</summary>
    private static bool IsEntryFile(string path) =>
        File.Exists(path) || (System.IO.Directory.Exists(path) && !IsCertbotFolder(path));

    private static bool IsCertbotFolder(string folder) =>
        Path.Exists(Path.Combine(folder, FullChainFile)) || Path.Exists(Path.Combine(folder, CertFile));

    /// <summary>Every file an entry of this nickname may consist of.</summary>
    private IEnumerable<string> EntryFiles(string nickname)
    {
        foreach (var extension in s_fileExtensions)
        {
            yield return Path.Combine(Directory, nickname + extension);
        }

        yield return Path.Combine(Directory, nickname + ".key");
        foreach (var file in new[] { FullChainFile, CertFile, ChainFile, PrivateKeyFile })
        {
            yield return Path.Combine(Directory, nickname, file);
        }
    }

    private static void Stamp(StringBuilder text, string path)
    {
        var file = new FileInfo(path);
        text.Append(path).Append(':');
        if (file.Exists)
        {
            text.Append(file.Length).Append(':').Append(file.LastWriteTimeUtc.Ticks).Append(':').Append(file.LinkTarget);
        }
        else
        {
            text.Append('-');
        }

        text.Append('\n');
    }

    private void Write(string nickname, X509Certificate2Collection chain)
    {
        byte[] data;
        try
        {
            data = chain.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, _password);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateException(Messages.DatabaseProblem(nickname, Directory, Messages.CannotExport(ex.Message)), null, ex);
        }

        var target = Path.Combine(Directory, nickname + ".pfx");
        var temporary = Path.Combine(Directory, $".{nickname}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(Directory);
            }
            else
            {
                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(data);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true); // a rename: readers see the old entry or the new one
            DeleteEntry(nickname, keep: target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing more can be done; the temporary file is not an entry.
            }

            throw new CertificateException(Messages.DatabaseProblem(nickname, Directory, Messages.CannotWrite(ex.Message)), null, ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }

        Log.CertificateAdded(_logger, nickname, Directory, chain[0].Subject, chain[0].Thumbprint);
    }

    /// <summary>Deletes every layout of a nickname except <paramref name="keep"/>; true when an entry was there.</summary>
    private bool DeleteEntry(string nickname, string? keep)
    {
        var existed = false;
        foreach (var extension in s_fileExtensions)
        {
            var file = Path.Combine(Directory, nickname + extension);
            if (file != keep && File.Exists(file))
            {
                File.Delete(file);
                existed = true;
            }
        }

        var keyFile = Path.Combine(Directory, nickname + ".key");
        if (File.Exists(keyFile))
        {
            File.Delete(keyFile);
        }

        var folder = Path.Combine(Directory, nickname);
        if (IsCertbotFolder(folder))
        {
            System.IO.Directory.Delete(folder, recursive: true); // removes symbolic links, never what they point to
            existed = true;
        }

        return existed;
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
