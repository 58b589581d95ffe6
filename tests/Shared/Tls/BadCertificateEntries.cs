using System.Text;

namespace DartIo.Tests.Tls;

/// <summary>
/// The ways a certificate database entry can be broken on disk (SPEC 12), each written under a nickname, for the tests
/// that show a bad entry is reported by its file and never affects the others. The database password is
/// <see cref="DatabasePassword"/>; the bad entries made from a certificate use <see cref="TestCertificates.Server"/>,
/// so a distinguished name lookup for it meets them too.
/// </summary>
internal static class BadCertificateEntries
{
    public const string DatabasePassword = "dbpw";

    /// <summary>Every kind, for theories.</summary>
    public static TheoryData<string> Kinds => new()
    {
        "empty.pem", "empty.pfx", "empty-certbot", "truncated.pfx", "truncated.pem", "random-bytes", "wrong-password",
        "key-mismatch", "unreadable", "dangling-link", "folder.pem", "folder.pfx", "fifo", "device", "huge",
    };

    /// <summary>Writes a bad entry of this kind under <paramref name="nickname"/>.</summary>
    /// <returns>The file (or folder) that is wrong, which every error about the entry must name.</returns>
    public static string Write(TemporaryDirectory folder, string kind, string nickname)
    {
        var pfx = TestCertificates.Pkcs12(TestCertificates.Server, DatabasePassword);
        var pem = TestCertificates.CertificatePem(TestCertificates.Server) + TestCertificates.KeyPem(TestCertificates.Server);
        switch (kind)
        {
            case "empty.pem":
                return folder.Write(nickname + ".pem", []);
            case "empty.pfx":
                return folder.Write(nickname + ".pfx", []);
            case "empty-certbot": // certbot's live/NAME/ while a renewal rewrites it
                folder.Write(nickname + "/privkey.pem", []);
                return folder.Write(nickname + "/fullchain.pem", []);
            case "truncated.pfx":
                return folder.Write(nickname + ".pfx", pfx[..(pfx.Length / 2)]);
            case "truncated.pem":
                return folder.Write(nickname + ".pem", pem[..(pem.Length / 3)]);
            case "random-bytes":
                var noise = new byte[1500];
                new Random(9).NextBytes(noise);
                return folder.Write(nickname + ".pfx", noise);
            case "wrong-password":
                return folder.Write(nickname + ".pfx", TestCertificates.Pkcs12(TestCertificates.Server, "another password"));
            case "key-mismatch":
                folder.Write(nickname + ".pem", TestCertificates.CertificatePem(TestCertificates.Server));
                return folder.Write(nickname + ".key", TestCertificates.KeyPem(TestCertificates.Client));
            case "unreadable":
                return WriteUnreadable(folder, nickname + ".pem", Encoding.ASCII.GetBytes(pem));
            case "dangling-link": // certbot's live/ link after its archive/ file went away
                var link = folder.File(nickname + ".pem");
                File.CreateSymbolicLink(link, folder.File(nickname + "-gone.pem"));
                return link;
            case "folder.pem":
            case "folder.pfx":
                var path = folder.File(nickname + kind[kind.IndexOf('.')..]);
                Directory.CreateDirectory(path);
                folder.Write(Path.Combine(path, "note.txt"), "a folder, not a certificate file");
                return path;
            case "fifo": // opening a named pipe for reading waits for a writer: a read would never end
                var fifo = folder.File(nickname + ".pem");
                using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
                {
                    mkfifo.WaitForExit();
                }

                return fifo;
            case "device": // a read of /dev/zero never ends either
                var device = folder.File(nickname + ".pfx");
                File.CreateSymbolicLink(device, "/dev/zero");
                return device;
            case "huge":
                return folder.Write(nickname + ".pem", new byte[5 * 1024 * 1024]);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a kind of bad entry");
        }
    }

    /// <summary>Deletes whatever <see cref="Write"/> left under <paramref name="nickname"/>.</summary>
    public static void Delete(TemporaryDirectory folder, string nickname)
    {
        foreach (var extension in new[] { ".pem", ".pfx", ".p12", ".key", "" })
        {
            var path = folder.File(nickname + extension);
            if (Directory.Exists(path) && (File.GetAttributes(path) & FileAttributes.ReparsePoint) == 0)
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// A file this process cannot read: mode 000, or where the process may read anyway (root, CAP_DAC_OVERRIDE) a
    /// symbolic link to itself, which no one can read (ELOOP).
    /// </summary>
    private static string WriteUnreadable(TemporaryDirectory folder, string name, byte[] content)
    {
        var file = folder.Write(name, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.None);
            try
            {
                File.ReadAllBytes(file);
            }
            catch (UnauthorizedAccessException)
            {
                return file; // denied, as for any user without the privilege to override permissions
            }
        }

        File.Delete(file);
        File.CreateSymbolicLink(file, file);
        return file;
    }
}
