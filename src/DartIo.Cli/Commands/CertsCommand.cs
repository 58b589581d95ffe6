using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio certs</c>: the certificate database that the <c>certificateName</c> binds read (list, add, remove,
/// create a development certificate, import from a Dart 1.x NSS database).
/// </summary>
internal static class CertsCommand
{
    public const string Usage = """
        usage: dartio certs list [--db DIR]
               dartio certs add NICKNAME FILE [--key FILE] [--password PW] [--db DIR]
               dartio certs remove NICKNAME [--db DIR]
               dartio certs create NICKNAME [--dns NAME]... [--ip ADDR]... [--days N] [--db DIR]
               dartio certs import-nss NSSDIR NICKNAME [--password PW] [--db DIR]

        --db DIR is the database folder (default: $DARTIO_CERTDB, else ~/.local/share/dartio/certdb);
        its password is $DARTIO_CERTDB_PASSWORD.
        """;

    public static async Task<int> RunAsync(string[] args, ToolHost host)
    {
        if (args.Length == 0)
        {
            await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return ToolHost.ExitUsage;
        }

        var reader = new ArgumentReader(args.AsSpan(1).ToArray());
        try
        {
            return args[0] switch
            {
                "list" => await ListAsync(reader).ConfigureAwait(false),
                "add" => await AddAsync(reader).ConfigureAwait(false),
                "remove" => await RemoveAsync(reader).ConfigureAwait(false),
                "create" => await CreateAsync(reader).ConfigureAwait(false),
                "import-nss" => await ImportNssAsync(reader, host.Stopping).ConfigureAwait(false),
                _ => throw new UsageException($"unknown certs command '{args[0]}' (list, add, remove, create or import-nss)"),
            };
        }
        catch (ArgumentException ex)
        {
            // An invalid nickname: the library's text, without the parameter suffix.
            throw new UsageException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }
    }

    private static async Task<int> ListAsync(ArgumentReader reader)
    {
        var option = reader.Option("--db");
        reader.Finish();
        var database = option is null ? CertificateDatabase.Default : CertificateDatabase.Open(option, Password);
        var namedBy = option is not null ? "--db"
            : !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CertificateDatabase.DirectoryVariable)) ? "$" + CertificateDatabase.DirectoryVariable
            : null;
        if (namedBy is not null && !Path.Exists(database.Directory))
        {
            // The default folder is missing until the first certificate is added; a folder the user named is a mistake.
            await Console.Error.WriteLineAsync($"dartio: the certificate database '{database.Directory}' ({namedBy}) does not exist").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }

        var entries = database.List(); // a file instead of a folder: CertificateException, exit 1
        if (entries.Count == 0)
        {
            await Console.Out.WriteLineAsync($"no certificates in {database.Directory}").ConfigureAwait(false);
            return ToolHost.ExitOk;
        }

        string[] header = ["NICKNAME", "SUBJECT", "ISSUER", "EXPIRES (UTC)", "KEY"];
        var rows = entries.Select(e => new[]
        {
            e.Nickname, e.Subject, e.Subject == e.Issuer ? "(self-signed)" : e.Issuer,
            e.NotAfter.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), e.HasPrivateKey ? "yes" : "no",
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        var table = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            table.AppendJoin("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        await Console.Out.WriteAsync(table.ToString()).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    private static async Task<int> AddAsync(ArgumentReader reader)
    {
        var database = Database(reader);
        var key = reader.Option("--key");
        var password = reader.Option("--password");
        var nickname = Required(reader, "NICKNAME");
        var file = Required(reader, "FILE");
        reader.Finish();

        database.Import(nickname, file, key, password);
        await ReportAsync("added", nickname, database).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    private static async Task<int> RemoveAsync(ArgumentReader reader)
    {
        var database = Database(reader);
        var nickname = Required(reader, "NICKNAME");
        reader.Finish();

        if (!database.Remove(nickname))
        {
            await Console.Error.WriteLineAsync($"dartio: no certificate '{nickname}' in {database.Directory}").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }

        await Console.Out.WriteLineAsync($"removed {nickname} from {database.Directory}").ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    private static async Task<int> CreateAsync(ArgumentReader reader)
    {
        var database = Database(reader);
        var dnsNames = reader.Options("--dns");
        var ipTexts = reader.Options("--ip");
        var days = reader.Int("--days", 365, 1, 36500);
        var nickname = Required(reader, "NICKNAME");
        reader.Finish();

        var addresses = ipTexts.Select(text => InternetAddress.TryParse(text) is { Type: not InternetAddressType.Unix } address
            ? address.ToIPAddress()
            : throw new UsageException($"--ip needs a numeric IPv4 or IPv6 address, not '{text}'")).ToList();
        if (dnsNames.Any(name => name.Length == 0 || Uri.CheckHostName(name) != UriHostNameType.Dns))
        {
            throw new UsageException($"--dns needs a host name, not '{dnsNames.First(n => n.Length == 0 || Uri.CheckHostName(n) != UriHostNameType.Dns)}'");
        }

        if (dnsNames.Count == 0 && addresses.Count == 0)
        {
            dnsNames = ["localhost"];
            addresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        using var certificate = CreateDevelopmentCertificate(dnsNames.Count > 0 ? dnsNames[0] : addresses[0].ToString(), dnsNames, addresses, days);
        database.Add(nickname, certificate);
        await ReportAsync("created", nickname, database).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    /// <summary>A self-signed ECDSA P-256 server certificate with its key, for development.</summary>
    private static X509Certificate2 CreateDevelopmentCertificate(string commonName, IReadOnlyList<string> dnsNames,
        IReadOnlyList<IPAddress> addresses, int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}, O=dartio development"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddHours(-1), now.AddDays(days)); // an hour back: clocks differ
    }

    /// <summary>
    /// Exports a certificate and its key from an NSS database (Dart 1.x's <c>SecureSocket.initialize(database: …)</c>)
    /// with <c>pk12util</c>, and adds them under the same nickname.
    /// </summary>
    private static async Task<int> ImportNssAsync(ArgumentReader reader, CancellationToken cancellationToken)
    {
        var database = Database(reader);
        var nssPassword = reader.Option("--password");
        var nssDirectory = Required(reader, "NSSDIR");
        var nickname = Required(reader, "NICKNAME");
        reader.Finish();

        var nssDatabase = NssDatabaseSpec(nssDirectory);
        var pk12util = FindOnPath("pk12util");
        if (pk12util is null)
        {
            await Console.Error.WriteLineAsync(
                "dartio: pk12util was not found on PATH: it comes with NSS's tools (Debian/Ubuntu: apt-get install libnss3-tools)").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }

        // Passwords go through owner-only files in a private folder, never on a command line that ps can show.
        var work = Directory.CreateTempSubdirectory("dartio-nss-");
        try
        {
            var exportPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
            var exportFile = Path.Combine(work.FullName, "export.p12");
            var exportPasswordFile = WritePrivate(work.FullName, "export.pw", exportPassword);
            var nssPasswordFile = WritePrivate(work.FullName, "nss.pw", nssPassword ?? "");
            var start = new ProcessStartInfo(pk12util)
            {
                ArgumentList = { "-o", exportFile, "-n", nickname, "-d", nssDatabase, "-k", nssPasswordFile, "-w", exportPasswordFile },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start) ?? throw new IOException("pk12util could not be started");
            process.StandardInput.Close(); // never wait for a password prompt
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0 || !File.Exists(exportFile))
            {
                var reason = string.Join(" ", ((await errors.ConfigureAwait(false)) + " " + (await output.ConfigureAwait(false)))
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await Console.Error.WriteLineAsync(
                    $"dartio: pk12util could not export '{nickname}' from {nssDatabase} (exit code {process.ExitCode}): {reason}").ConfigureAwait(false);
                return ToolHost.ExitFailure;
            }

            database.Import(nickname, exportFile, keyFile: null, exportPassword);
        }
        finally
        {
            work.Delete(recursive: true);
        }

        await ReportAsync("imported", nickname, database).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    /// <summary>NSS's database name: <c>sql:</c> for cert9.db, <c>dbm:</c> for the cert8.db of Dart 1.x's days; a given prefix is kept.</summary>
    private static string NssDatabaseSpec(string directory)
    {
        if (directory.StartsWith("sql:", StringComparison.Ordinal) || directory.StartsWith("dbm:", StringComparison.Ordinal))
        {
            return directory;
        }

        if (File.Exists(Path.Combine(directory, "cert9.db")))
        {
            return "sql:" + Path.GetFullPath(directory);
        }

        if (File.Exists(Path.Combine(directory, "cert8.db")))
        {
            return "dbm:" + Path.GetFullPath(directory);
        }

        throw new UsageException($"'{directory}' is not an NSS database folder (no cert9.db or cert8.db in it)");
    }

    private static string WritePrivate(string folder, string name, string text)
    {
        var path = Path.Combine(folder, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(text + "\n"));
        return path;
    }

    private static string? FindOnPath(string tool)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? Password => Environment.GetEnvironmentVariable(CertificateDatabase.PasswordVariable);

    private static CertificateDatabase Database(ArgumentReader reader) => reader.Option("--db") is { } directory
        ? CertificateDatabase.Open(directory, Password)
        : CertificateDatabase.Default;

    private static string Required(ArgumentReader reader, string name) =>
        reader.Positional() ?? throw new UsageException($"missing {name}");

    private static async Task ReportAsync(string what, string nickname, CertificateDatabase database)
    {
        var entry = database.List().FirstOrDefault(e => e.Nickname == nickname);
        var details = entry is null ? "" : $": {entry.Subject}, expires {entry.NotAfter.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, SHA-1 {entry.Thumbprint}";
        await Console.Out.WriteLineAsync($"{what} {nickname} in {database.Directory}{details}").ConfigureAwait(false);
    }
}
