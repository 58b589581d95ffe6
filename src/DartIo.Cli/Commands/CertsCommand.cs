using System.CommandLine;
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
/// create a development certificate, import from a Dart 1.x NSS database). <c>--db DIR</c> names the database anywhere
/// after <c>certs</c>.
/// </summary>
internal sealed class CertsCommand
{
    /// <summary>The files an entry can be (besides certbot's folder), as README.md and docs/tls.md describe the database.</summary>
    private static readonly string[] s_entryExtensions = [".pfx", ".p12", ".pem"];

    private readonly ToolHost _host;

    private readonly Option<string> _database = new("--db")
    {
        HelpName = "DIR",
        Description = "The database folder (default: $DARTIO_CERTDB, else ~/.local/share/dartio/certdb); its password is $DARTIO_CERTDB_PASSWORD",
        Recursive = true,
    };

    public CertsCommand(ToolHost host)
    {
        _host = host;
        Command = new Command("certs", "The certificate database that --tls NAME reads: list, add, remove, create, import-nss.");
        Command.Add(_database);
        Command.Add(List());
        Command.Add(Add());
        Command.Add(Remove());
        Command.Add(Create());
        Command.Add(ImportNss());
    }

    /// <summary>The <c>certs</c> command and its subcommands.</summary>
    public Command Command { get; }

    private Command List()
    {
        var command = new Command("list", "Lists the entries: nickname, subject, issuer, expiry, whether the key is there");
        SetAction(command, ListAsync);
        return command;
    }

    private Command Add()
    {
        var nickname = Nickname("The entry's name");
        var file = new Argument<string>("FILE") { Description = "A PEM file (certificate first, then its chain; may hold the key) or a PKCS#12 file" };
        var key = new Option<string>("--key") { HelpName = "FILE", Description = "The private key's file, when FILE does not hold it" };
        var password = new Option<string>("--password") { HelpName = "PW", Description = "The password of the files given" };
        var command = new Command("add", "Adds a certificate and its private key from files (replacing an entry of the same nickname)")
        {
            nickname, file, key, password,
        };
        SetAction(command, async parse =>
        {
            var database = Database(parse);
            var name = parse.GetValue(nickname)!;
            database.Import(name, parse.GetValue(file)!, parse.GetValue(key), parse.GetValue(password));
            await ReportAsync("added", name, database).ConfigureAwait(false);
            return ToolHost.ExitOk;
        });
        return command;
    }

    private Command Remove()
    {
        var nickname = Nickname("The entry to remove");
        var command = new Command("remove", "Removes an entry, in whichever layout it is") { nickname };
        SetAction(command, async parse =>
        {
            var database = Database(parse);
            var name = parse.GetValue(nickname)!;
            if (!database.Remove(name))
            {
                await _host.Error.WriteLineAsync($"dartio: no certificate '{name}' in {database.Directory}").ConfigureAwait(false);
                return ToolHost.ExitFailure;
            }

            await _host.Output.WriteLineAsync($"removed {name} from {database.Directory}").ConfigureAwait(false);
            return ToolHost.ExitOk;
        });
        return command;
    }

    private Command Create()
    {
        var nickname = Nickname("The new entry's name");
        var dns = new Option<string[]>("--dns") { HelpName = "NAME", Description = "A host name it is for (repeatable; default: localhost and the loopback addresses)" };
        var ip = new Option<string[]>("--ip") { HelpName = "ADDR", Description = "An IPv4 or IPv6 address it is for (repeatable)" };
        var days = new Option<string>("--days")
        {
            HelpName = "N",
            Description = "How long it is valid",
            DefaultValueFactory = _ => "365",
        };
        var force = new Option<bool>("--force") { Description = "Replace an entry of the same nickname (without it, one is left alone: exit 1)" };
        var command = new Command("create", "Creates a self-signed development certificate (ECDSA P-256) with its key") { nickname, dns, ip, days, force };
        SetAction(command, parse => CreateAsync(parse.GetValue(nickname)!, parse.GetValue(dns) ?? [], parse.GetValue(ip) ?? [],
            parse.GetInt(days, 365, 1, 36500), parse.GetValue(force), Database(parse)));
        return command;
    }

    private Command ImportNss()
    {
        var nssDirectory = new Argument<string>("NSSDIR") { Description = "The NSS database folder (cert9.db or cert8.db; a sql: or dbm: prefix is kept)" };
        var nickname = Nickname("The NSS nickname, which the entry keeps");
        var password = new Option<string>("--password") { HelpName = "PW", Description = "The NSS database's password" };
        var command = new Command("import-nss", "Copies a certificate and its key out of a Dart 1.x NSS database (needs pk12util: libnss3-tools)")
        {
            nssDirectory, nickname, password,
        };
        SetAction(command, parse => ImportNssAsync(Database(parse), parse.GetValue(password), parse.GetValue(nssDirectory)!, parse.GetValue(nickname)!,
            _host.Stopping));
        return command;
    }

    private static Argument<string> Nickname(string description) => new("NICKNAME") { Description = description };

    /// <summary>Sets a subcommand's action; a nickname the library refuses is a usage error.</summary>
    private static void SetAction(Command command, Func<ParseResult, Task<int>> action) => command.SetAction(async (parse, _) =>
    {
        try
        {
            return await action(parse).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // An invalid nickname: the library's text, without the parameter suffix.
            throw new UsageException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }
    });

    private async Task<int> ListAsync(ParseResult parse)
    {
        var option = parse.GetValue(_database);
        var database = option is null ? CertificateDatabase.Default : CertificateDatabase.Open(option, Password);
        var namedBy = option is not null ? "--db"
            : !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CertificateDatabase.DirectoryVariable)) ? "$" + CertificateDatabase.DirectoryVariable
            : null;
        if (namedBy is not null && !Path.Exists(database.Directory))
        {
            // The default folder is missing until the first certificate is added; a folder the user named is a mistake.
            await _host.Error.WriteLineAsync($"dartio: the certificate database '{database.Directory}' ({namedBy}) does not exist").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }

        var entries = database.List(); // a file instead of a folder: CertificateException, exit 1
        if (entries.Count == 0)
        {
            await _host.Output.WriteLineAsync($"no certificates in {database.Directory}").ConfigureAwait(false);
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

        await _host.Output.WriteAsync(table.ToString()).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    private async Task<int> CreateAsync(string nickname, string[] dnsNames, string[] ipTexts, int days, bool force,
        CertificateDatabase database)
    {
        var addresses = ipTexts.Select(text => InternetAddress.TryParse(text) is { Type: not InternetAddressType.Unix } address
            ? address.ToIPAddress()
            : throw new UsageException($"--ip needs a numeric IPv4 or IPv6 address, not '{text}'")).ToList();
        if (dnsNames.Any(name => name.Length == 0 || Uri.CheckHostName(name) != UriHostNameType.Dns))
        {
            throw new UsageException($"--dns needs a host name, not '{dnsNames.First(n => n.Length == 0 || Uri.CheckHostName(n) != UriHostNameType.Dns)}'");
        }

        if (dnsNames.Length == 0 && addresses.Count == 0)
        {
            dnsNames = ["localhost"];
            addresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        if (!force && ExistingEntry(database, nickname) is { } existing)
        {
            await _host.Error.WriteLineAsync(
                $"dartio: '{nickname}' is already in {database.Directory} ({existing}); --force replaces it").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }

        using var certificate = CreateDevelopmentCertificate(dnsNames.Length > 0 ? dnsNames[0] : addresses[0].ToString(), dnsNames, addresses, days);
        database.Add(nickname, certificate);
        await ReportAsync("created", nickname, database).ConfigureAwait(false);
        return ToolHost.ExitOk;
    }

    /// <summary>
    /// The file or folder of an entry of this nickname in any of the database's layouts (<c>NICK.pfx</c>,
    /// <c>NICK.p12</c>, <c>NICK.pem</c>, certbot's <c>NICK/</c>), or null. Looked up in the folder rather than in
    /// <see cref="CertificateDatabase.List()"/>, which leaves out the entries it cannot read (under another password, say):
    /// those must not be replaced silently either.
    /// </summary>
    private static string? ExistingEntry(CertificateDatabase database, string nickname)
    {
        var candidates = s_entryExtensions.Select(extension => nickname + extension).Append(nickname);
        return candidates.FirstOrDefault(name => Path.Exists(Path.Combine(database.Directory, name)));
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
    private async Task<int> ImportNssAsync(CertificateDatabase database, string? nssPassword, string nssDirectory, string nickname,
        CancellationToken cancellationToken)
    {
        var nssDatabase = NssDatabaseSpec(nssDirectory);
        var pk12util = FindOnPath("pk12util");
        if (pk12util is null)
        {
            await _host.Error.WriteLineAsync(
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
                await _host.Error.WriteLineAsync(
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

    private CertificateDatabase Database(ParseResult parse) => parse.GetValue(_database) is { } directory
        ? CertificateDatabase.Open(directory, Password)
        : CertificateDatabase.Default;

    private async Task ReportAsync(string what, string nickname, CertificateDatabase database)
    {
        var entry = database.List().FirstOrDefault(e => e.Nickname == nickname);
        var details = entry is null ? "" : $": {entry.Subject}, expires {entry.NotAfter.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, SHA-1 {entry.Thumbprint}";
        await _host.Output.WriteLineAsync($"{what} {nickname} in {database.Directory}{details}").ConfigureAwait(false);
    }
}
