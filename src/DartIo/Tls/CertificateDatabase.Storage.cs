using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DartIo.Internal;

namespace DartIo;

/// <content>
/// Storing entries: a new entry is written to a temporary file and renamed over the old one, so a reader sees the old
/// entry or the new one and never half a file; the nickname's other layouts are deleted after.
/// </content>
public sealed partial class CertificateDatabase
{
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
}
