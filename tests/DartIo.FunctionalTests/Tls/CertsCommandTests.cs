using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DartIo.Tests.Tls;

public sealed class CertsCommandTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Db => _folder.File("db");

    [Fact]
    public async Task Create_NicknameWithDnsAndIp_SelfSignedCertificateWithKeyForThoseNames()
    {
        var (exit, output, _) = await DartioRun.RunAsync(["certs", "create", "dev", "--dns", "localhost", "--dns", "dev.test",
            "--ip", "127.0.0.1", "--days", "10", "--db", Db]);

        Assert.Equal(0, exit);
        Assert.StartsWith("created dev in ", output, StringComparison.Ordinal);
        var certificate = CertificateDatabase.Open(Db).Find("dev");
        Assert.True(certificate.HasPrivateKey);
        Assert.True(certificate.MatchesHostname("localhost") && certificate.MatchesHostname("dev.test") && certificate.MatchesHostname("127.0.0.1"));
        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.InRange(certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromDays(9.9), TimeSpan.FromDays(10.1));
    }

    [Fact]
    public async Task List_Entries_TableWithNicknameSubjectIssuerExpiryAndKey()
    {
        var database = CertificateDatabase.Open(Db);
        database.Add("web", TestCertificates.Server);
        _folder.Write("db/ca.pem", TestCertificates.CertificatePem(TestCertificates.Ca));

        var (exit, output, _) = await DartioRun.RunAsync(["certs", "list", "--db", Db]);

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^NICKNAME\s+SUBJECT\s+ISSUER\s+EXPIRES \(UTC\)\s+KEY$", lines[0]);
        Assert.Matches(@"^ca\s+CN=DartIo Test CA, O=DartIo Tests\s+\(self-signed\)\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+no$", lines[1]);
        Assert.Matches(@"^web\s+CN=localhost, O=DartIo Tests\s+CN=DartIo Test CA, O=DartIo Tests\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+yes$", lines[2]);
        Assert.Equal(lines[0].IndexOf("SUBJECT", StringComparison.Ordinal), lines[2].IndexOf("CN=localhost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Add_PemAndEncryptedKeyFile_AddedUnderTheDatabasePassword()
    {
        var chain = _folder.Write("in/chain.pem", TestCertificates.CertificatePem(TestCertificates.Server, TestCertificates.Ca));
        var key = _folder.Write("in/key.pem", TestCertificates.EncryptedKeyPem(TestCertificates.Server, "filepw"));

        var (exit, output, _) = await DartioRun.RunAsync(["certs", "add", "web", chain, "--key", key, "--password", "filepw", "--db", Db],
            new Dictionary<string, string> { ["DARTIO_CERTDB_PASSWORD"] = "dbpw" });

        Assert.Equal(0, exit);
        Assert.Contains("added web", output, StringComparison.Ordinal);
        Assert.True(CertificateDatabase.Open(Db, "dbpw").Find("web").HasPrivateKey);
    }

    [Fact]
    public async Task Add_WrongPassword_ExitsOneNamingTheFile()
    {
        var pfx = _folder.Write("in/web.p12", TestCertificates.Pkcs12(TestCertificates.Server, "right"));

        var (exit, _, error) = await DartioRun.RunAsync(["certs", "add", "web", pfx, "--password", "wrong", "--db", Db]);

        Assert.Equal(1, exit);
        Assert.Equal($"dartio: Cannot unlock '{pfx}': the password is wrong.", error.Trim());
    }

    [Fact]
    public async Task Remove_ExistingThenMissing_ExitsZeroThenOne()
    {
        CertificateDatabase.Open(Db).Add("web", TestCertificates.Server);

        var first = await DartioRun.RunAsync(["certs", "remove", "web", "--db", Db]);
        var second = await DartioRun.RunAsync(["certs", "remove", "web", "--db", Db]);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1, second.ExitCode);
        Assert.Equal($"dartio: no certificate 'web' in {Db}", second.Error.Trim());
    }

    [Theory]
    [InlineData("certs", "frob")]
    [InlineData("certs", "create")]
    [InlineData("certs", "create", "dev", "--days", "0")]
    [InlineData("certs", "create", "dev", "--ip", "127.1")]
    [InlineData("certs", "add", "../escape", "file.pem")]
    [InlineData("certs", "list", "--bogus")]
    public async Task Certs_BadArguments_ExitTwoWithOneLineOnStderr(params string[] args)
    {
        var (exit, output, error) = await DartioRun.RunAsync([.. args, "--db", Db]);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("dartio: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportNss_Pk12utilMissing_ExitsOneSayingWhichPackageToInstall()
    {
        _folder.Write("nss/cert9.db", "not really");

        var (exit, _, error) = await DartioRun.RunAsync(["certs", "import-nss", _folder.File("nss"), "localhost_cert", "--db", Db],
            new Dictionary<string, string> { ["PATH"] = _folder.File("empty-path") });

        Assert.Equal(1, exit);
        Assert.Contains("pk12util was not found", error, StringComparison.Ordinal);
        Assert.Contains("libnss3-tools", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportNss_ThroughPk12util_AddsTheEntryUnderTheSameNickname()
    {
        // A stand-in for pk12util that checks how dartio calls it and exports with openssl, so the test runs without NSS.
        if (OperatingSystem.IsWindows())
        {
            return; // the stand-in is a shell script
        }

        var nss = _folder.File("nss");
        _folder.Write("nss/cert8.db", "a Dart 1.x (dbm) database");
        var cert = _folder.Write("tool/cert.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = _folder.Write("tool/key.pem", TestCertificates.KeyPem(TestCertificates.Server));
        var fake = _folder.Write("bin/pk12util", $$"""
            #!/bin/sh
            while [ $# -gt 0 ]; do
              case "$1" in
                -o) out="$2"; shift 2;; -n) nick="$2"; shift 2;; -d) db="$2"; shift 2;;
                -w) pwfile="$2"; shift 2;; -k) shift 2;; *) echo "unexpected $1" >&2; exit 3;;
              esac
            done
            [ "$nick" = "localhost_cert" ] || { echo "pk12util: no certificate $nick" >&2; exit 1; }
            [ "$db" = "dbm:{{nss}}" ] || { echo "wrong database $db" >&2; exit 4; }
            exec openssl pkcs12 -export -in '{{cert}}' -inkey '{{key}}' -name "$nick" -passout "file:$pwfile" -out "$out"
            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = _folder.File("bin") + ":" + Environment.GetEnvironmentVariable("PATH");

        var (exit, output, error) = await DartioRun.RunAsync(["certs", "import-nss", nss, "localhost_cert", "--db", Db],
            new Dictionary<string, string> { ["PATH"] = path });
        var missing = await DartioRun.RunAsync(["certs", "import-nss", nss, "other", "--db", Db], new Dictionary<string, string> { ["PATH"] = path });

        Assert.True(exit == 0, error);
        Assert.Contains("imported localhost_cert", output, StringComparison.Ordinal);
        Assert.Equal(TestCertificates.Server.Thumbprint, CertificateDatabase.Open(Db).Find("localhost_cert").Thumbprint);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("pk12util: no certificate other", missing.Error, StringComparison.Ordinal);
    }

    [NssToolsFact]
    public async Task ImportNss_RealNssDatabase_AddsTheEntryUnderTheSameNickname()
    {
        var nss = Directory.CreateDirectory(_folder.File("nss")).FullName;
        var cert = _folder.Write("in/cert.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = _folder.Write("in/key.pem", TestCertificates.KeyPem(TestCertificates.Server));
        var p12 = _folder.File("in/server.p12");
        const string nickname = "localhost_cert"; // the nickname of Dart 1.x's samples
        Assert.Equal(0, await ToolAsync("openssl", "pkcs12", "-export", "-in", cert, "-inkey", key, "-name", nickname, "-passout", "pass:pw", "-out", p12));
        Assert.Equal(0, await ToolAsync("certutil", "-N", "-d", "sql:" + nss, "--empty-password"));
        Assert.Equal(0, await ToolAsync("pk12util", "-i", p12, "-d", "sql:" + nss, "-W", "pw", "-K", ""));

        var (exit, output, error) = await DartioRun.RunAsync(["certs", "import-nss", nss, nickname, "--db", Db]);

        Assert.True(exit == 0, error);
        Assert.Contains($"imported {nickname}", output, StringComparison.Ordinal);
        Assert.Equal(TestCertificates.Server.Thumbprint, CertificateDatabase.Open(Db).Find(nickname).Thumbprint);
    }

    private static async Task<int> ToolAsync(string program, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await drained;
        return process.ExitCode;
    }
}
