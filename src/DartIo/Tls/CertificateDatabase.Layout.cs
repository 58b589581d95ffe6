using System.Text;
using DartIo.Internal;
using DartIo.Internal.Tls;

namespace DartIo;

/// <content>
/// Reading the folder's layouts: finding an entry by nickname or distinguished name (PKCS#12, PEM with its key, certbot's
/// folders), listing them, and the fingerprint that tells a renewal on disk.
/// </content>
public sealed partial class CertificateDatabase
{
    private const string FullChainFile = "fullchain.pem";
    private const string CertFile = "cert.pem";
    private const string ChainFile = "chain.pem";
    private const string PrivateKeyFile = "privkey.pem";

    private static readonly string[] s_fileExtensions = [".pfx", ".p12", ".pem"];

    /// <summary>How an entry is stored, in the order of precedence when one nickname has several (see the class remarks).</summary>
    private enum Layout
    {
        Pkcs12,
        Pem,
        Certbot,
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
}
