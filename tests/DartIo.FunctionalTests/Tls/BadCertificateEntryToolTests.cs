using System.Globalization;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

/// <summary>
/// SPEC 12 through the tool: a bad entry in the certificate database (every kind of <see cref="BadCertificateEntries"/>)
/// fails neither <c>dartio certs list</c> nor a server started on another entry; a database folder that is not there
/// is reported as such.
/// </summary>
public sealed class BadCertificateEntryToolTests : IDisposable
{
    private const string ServerName = "CN=localhost, O=DartIo Tests";

    private readonly TemporaryDirectory _db = new();

    public void Dispose() => _db.Dispose();

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public async Task CertsList_BadEntryBesideAGoodOne_ExitsZeroListsTheGoodOneAndWarnsNamingTheFile(string kind)
    {
        CertificateDatabase.Open(_db.Path, BadCertificateEntries.DatabasePassword).Add("web", TestCertificates.Server);
        var bad = BadCertificateEntries.Write(_db, kind, "bad");

        var (exit, output, error) = await DartioRun.RunAsync(["certs", "list", "--db", _db.Path],
            new Dictionary<string, string> { [CertificateDatabase.PasswordVariable] = BadCertificateEntries.DatabasePassword });

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("NICKNAME ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("web ", lines[1], StringComparison.Ordinal);
        var warning = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("warn: DartIo.Tls[104]", warning, StringComparison.Ordinal);
        Assert.Contains($"'{bad}'", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--db")]
    [InlineData(CertificateDatabase.DirectoryVariable)]
    public async Task CertsList_NamedFolderMissing_ExitsOneSayingSo(string namedBy)
    {
        var missing = _db.File("not-there");

        var (exit, output, error) = namedBy == "--db"
            ? await DartioRun.RunAsync(["certs", "list", "--db", missing])
            : await DartioRun.RunAsync(["certs", "list"], new Dictionary<string, string> { [CertificateDatabase.DirectoryVariable] = missing });

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        var named = namedBy == "--db" ? "--db" : "$" + namedBy;
        Assert.Equal($"dartio: the certificate database '{missing}' ({named}) does not exist", error.Trim());
    }

    [Fact]
    public async Task CertsList_DbIsAFile_ExitsOneSayingSo()
    {
        var file = _db.Write("notes.txt", "not a folder");

        var (exit, output, error) = await DartioRun.RunAsync(["certs", "list", "--db", file]);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal($"dartio: Cannot list the certificate database '{file}': it is a file, not a folder", error.Trim());
    }

    [Fact]
    public async Task EchoTls_DbFolderMissing_ExitsOneSayingSo()
    {
        var missing = _db.File("not-there");
        await using var tool = DartioProcess.Start("echo", "--tls", "web", "--db", missing, "--port", "0");

        Assert.Equal(1, await tool.WaitForExitAsync());
        Assert.Equal($"dartio: Certificate 'web' in the certificate database '{missing}': not found: the folder does not exist.",
            (await tool.ReadAllErrorAsync()).Trim());
    }

    [Theory]
    [InlineData("web")]
    [InlineData(ServerName)]
    public async Task EchoTls_EveryKindOfBadEntryBesideTheServedOne_StartsAndServes(string name)
    {
        WriteGoodAndEveryBadEntry();
        await using var tool = DartioProcess.Start("echo", "--tls", name, "--db", _db.Path, "--address", "127.0.0.1", "--port", "0");

        var url = await tool.ReadLineAsync() ?? throw new Xunit.Sdk.XunitException("did not start: " + await tool.ReadAllErrorAsync());
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext()).WaitAsync(Patience);

        Assert.Equal(TestCertificates.Server.Thumbprint, client.PeerCertificate!.Thumbprint);
        Assert.Equal("beside bad entries", await RoundTripAsync(client, "beside bad entries").WaitAsync(Patience));
        Assert.Equal(0, await tool.StopAsync());
        Assert.DoesNotContain("Unhandled", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web")]
    [InlineData(ServerName)]
    public async Task ServeTls_EveryKindOfBadEntryBesideTheServedOne_StartsAndServes(string name)
    {
        WriteGoodAndEveryBadEntry();
        using var site = new TemporaryDirectory();
        site.Write("hello.txt", "beside bad entries");
        await using var tool = DartioProcess.Start("serve", site.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--tls", name, "--db", _db.Path);

        var url = await tool.ReadUrlAsync() ?? throw new Xunit.Sdk.XunitException("did not start: " + await tool.ReadAllErrorAsync());
        using var client = HttpServerSecureTests.SecureClient();

        Assert.Equal("beside bad entries", await client.GetStringAsync(url + "hello.txt").WaitAsync(Patience));
        Assert.Equal(0, await tool.StopAsync());
        Assert.DoesNotContain("Unhandled", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    /// <summary>The served entry "web" (no database password, as the tool runs without one here) and one bad entry of every kind.</summary>
    private void WriteGoodAndEveryBadEntry()
    {
        CertificateDatabase.Open(_db.Path).Add("web", TestCertificates.Server);
        foreach (var kind in BadCertificateEntries.Kinds)
        {
            BadCertificateEntries.Write(_db, kind, "bad-" + kind.Replace('.', '-'));
        }
    }
}
