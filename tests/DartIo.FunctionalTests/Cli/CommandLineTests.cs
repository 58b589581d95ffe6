using System.Reflection;
using DartIo.Cli;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// The command line of every command, run in-process through <see cref="Program.RunAsync"/> with its own stdout and
/// stderr: help, version, one-line errors, exit codes, completion, and <c>certs create</c>'s refusal to overwrite.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Program.RunAsync(args, output, error).Within();
        return (exit, output.ToString().ReplaceLineEndings("\n"), error.ToString().ReplaceLineEndings("\n"));
    }

    public static TheoryData<string, string> EveryCommandAndHelpFlag()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in (string[])["", "echo", "serve", "certs", "certs list", "certs add", "certs remove", "certs create", "certs import-nss", "completion"])
        {
            foreach (var flag in (string[])["--help", "-h"])
            {
                data.Add(command, flag);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCommandAndHelpFlag))]
    public async Task Help_EveryCommand_UsageOnStdoutNothingOnStderrExitZero(string command, string flag)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var (exit, output, error) = await RunAsync([.. words, flag]);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  " + string.Join(' ', ["dartio", .. words]), output, StringComparison.Ordinal);
        Assert.Contains("-h, --help", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("serve", "-p", "8080", "--help")] // the issue's examples: a value before --help, -h after a folder
    [InlineData("serve", ".", "-h")]
    [InlineData("serve", "--bogus", "--help")]
    [InlineData("help", "serve")]
    public async Task Help_AmongOtherArguments_StillTheCommandsUsage(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  dartio serve [<DIR>] [options]", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("-p, --port <N>")]
    [InlineData("-a, --address <A>")]
    [InlineData("-q, --quiet")]
    [InlineData("-v, --verbose")]
    [InlineData("--cors <ORIGIN>")]
    [InlineData("--header <'Name: value'>")]
    [InlineData("--log-format <combined|json>")]
    [InlineData("--workers <N>                         Servers sharing the port (default: 1")]
    public async Task Help_Serve_ListsTheOption(string option)
    {
        var (_, output, _) = await RunAsync("serve", "--help");

        Assert.Contains(option, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("certs")]
    public async Task Command_WithoutItsSubcommand_UsageOnStdoutExitTwo(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains("Usage:\n  " + string.Join(' ', ["dartio", .. args]), output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Version_TheInformationalVersionOnOneLineExitZero()
    {
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var (exit, output, error) = await RunAsync("--version");

        Assert.Equal(0, exit);
        Assert.Equal(expected + "\n", output);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("serve", "--bogus")] // an unknown option (taken for the folder by the parser)
    [InlineData("serve", "--bogus", "site")]
    [InlineData("serve", "-x")]
    [InlineData("echo", "--bogus")]
    [InlineData("certs", "list", "--bogus")]
    [InlineData("serve", "--version")] // --version is the tool's, not a command's
    [InlineData("serve", "-p", "eighty")] // a bad port
    [InlineData("serve", "-p", "65536")]
    [InlineData("echo", "-p", "-1")]
    [InlineData("serve", "--workers", "0")]
    [InlineData("echo", "--backlog", "-1")]
    [InlineData("serve", "-p")] // a missing value
    [InlineData("serve", "--address")]
    [InlineData("echo", "-a")]
    [InlineData("certs", "create", "dev", "--days")]
    [InlineData("serve", "one", "two")] // two folders
    [InlineData("serve", "/no/such/folder")]
    [InlineData("serve", "--alpn", "h2", "--tls", "web")]
    [InlineData("serve", "--db", "/tmp")]
    [InlineData("echo", "--client-cert", "maybe", "--tls", "web")]
    [InlineData("serve", "--proxy-protocol", "sometimes")]
    [InlineData("echo", "--trusted-proxy", "10.0.0.0/8")]
    [InlineData("serve", "--max-connections", "many")]
    [InlineData("bogus")] // an unknown command
    [InlineData("certs", "frob")]
    [InlineData("certs", "create")]
    [InlineData("completion", "tcsh")]
    [InlineData("-v")]
    public async Task BadInput_OneLineOnStderrNothingOnStdoutExitTwo(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("dartio: ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("dartio: unrecognized command or argument '--bogus' (try dartio serve --help)", "serve", "--bogus", "site")]
    [InlineData("dartio: unrecognized command or argument 'two' (try dartio serve --help)", "serve", "one", "two")]
    [InlineData("dartio: --port must be a whole number from 0 to 65535, not 'eighty'", "serve", "-p", "eighty")]
    [InlineData("dartio: --workers must be a whole number from 1 to 1024, not '0'", "serve", "--workers", "0")]
    [InlineData("dartio: '/no/such/folder' is not a folder", "serve", "/no/such/folder")]
    [InlineData("dartio: --alpn is not an option of serve: it offers h2 and http/1.1 itself", "serve", ".", "--alpn", "h2", "--tls", "web")]
    [InlineData("dartio: --db needs --tls NAME", "serve", "--db", "/tmp")]
    [InlineData("dartio: unrecognized command or argument 'frob' (try dartio certs --help)", "certs", "frob")]
    public async Task BadInput_TheLineSaysWhatIsWrong(string expected, params string[] args)
    {
        var (_, _, error) = await RunAsync(args);

        Assert.Equal(expected + "\n", error);
    }

    [Fact]
    public async Task BadInput_MissingValue_NamesTheOptionAndTheHelp()
    {
        var (_, _, error) = await RunAsync("serve", "-p");

        Assert.Contains("'-p'", error, StringComparison.Ordinal);
        Assert.EndsWith("(try dartio serve --help)\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_FolderAfterDoubleDash_MayStartWithADash()
    {
        var (exit, _, error) = await RunAsync("serve", "--", "-no-such-folder");

        Assert.Equal(2, exit);
        Assert.Equal("dartio: '-no-such-folder' is not a folder\n", error); // looked for as a folder, not refused as an option
    }

    [Fact]
    public async Task CertsCreate_ExistingNicknameWithoutForce_RefusesNamingItAndForce()
    {
        var db = _folder.File("db");
        Assert.Equal(0, (await RunAsync("certs", "create", "dev", "--db", db)).Exit);
        var first = CertificateDatabase.Open(db).List().Single().Thumbprint;

        var (exit, output, error) = await RunAsync("certs", "create", "dev", "--dns", "other.test", "--db", db);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("dartio: 'dev' is already in ", error, StringComparison.Ordinal);
        Assert.Contains("--force", error, StringComparison.Ordinal);
        Assert.Equal(first, CertificateDatabase.Open(db).List().Single().Thumbprint); // left alone
    }

    [Fact]
    public async Task CertsCreate_ExistingNicknameWithForce_ReplacesIt()
    {
        var db = _folder.File("db");
        Assert.Equal(0, (await RunAsync("certs", "create", "dev", "--db", db)).Exit);
        var first = CertificateDatabase.Open(db).List().Single().Thumbprint;

        var (exit, output, error) = await RunAsync("certs", "create", "dev", "--dns", "other.test", "--force", "--db", db);

        Assert.Equal(0, exit);
        Assert.StartsWith("created dev in ", output, StringComparison.Ordinal);
        Assert.Equal("", error);
        var replaced = CertificateDatabase.Open(db).List().Single();
        Assert.NotEqual(first, replaced.Thumbprint);
        Assert.Equal("CN=other.test, O=dartio development", replaced.Subject);
    }

    [Fact]
    public async Task CertsCreate_EntryInAnotherLayoutOrUnreadable_RefusedAllTheSame()
    {
        var db = _folder.File("db");
        _folder.Write("db/dev.pem", "not a certificate"); // List() leaves it out; it is still the nickname's entry

        var (exit, _, error) = await RunAsync("certs", "create", "dev", "--db", db);

        Assert.Equal(1, exit);
        Assert.Contains("(dev.pem)", error, StringComparison.Ordinal);
        Assert.Equal("not a certificate", File.ReadAllText(_folder.File("db/dev.pem")));
    }

    [Fact]
    public async Task Certs_DatabaseOptionBeforeTheSubcommand_IsTheSame()
    {
        var db = _folder.File("db");

        var (exit, output, _) = await RunAsync("certs", "--db", db, "create", "dev");

        Assert.Equal(0, exit);
        Assert.Contains(db, output, StringComparison.Ordinal);
        Assert.Single(CertificateDatabase.Open(db).List());
    }

    [Fact]
    public async Task CompletionBash_PrintsAScriptThatAsksTheToolThroughSuggest()
    {
        var (exit, output, error) = await RunAsync("completion", "bash");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("complete -o default -o bashdefault -F _dartio_complete dartio", output, StringComparison.Ordinal);
        Assert.Contains("[suggest:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("se", "serve")]
    [InlineData("serve --p", "--port")]
    [InlineData("serve --p", "--proxy-protocol")]
    [InlineData("certs c", "create")]
    [InlineData("serve --log-format ", "json")]
    [InlineData("echo --client-cert ", "require")]
    public async Task Suggest_PartialLine_OffersWhatMayComeNext(string line, string expected)
    {
        var (exit, output, _) = await RunAsync($"[suggest:{line.Length}]", line);

        Assert.Equal(0, exit);
        Assert.Contains(expected, output.Split('\n'));
    }
}
