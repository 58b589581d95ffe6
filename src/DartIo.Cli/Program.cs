using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using DartIo.Cli.Commands;
using DartIo.Cli.Hosting;

namespace DartIo.Cli;

/// <summary>
/// The <c>dartio</c> tool: the command line (System.CommandLine), and each outcome as an exit code: 0 done (and help,
/// <c>--version</c>, Ctrl+C after a clean close), 1 failed (a bind, a certificate, a file), 2 bad arguments, said in
/// one line on stderr.
/// </summary>
internal static class Program
{
    private const string Description = """
        Servers on DartIo, and its certificate database.

        Every server prints where it listens as its first line on stdout (the URL last), logs to stderr (-v for more), and
        exits 0 on Ctrl+C or SIGTERM after closing cleanly. Bad arguments exit 2 with one line on stderr; a failed bind
        exits 1. Shell completion: eval "$(dartio completion bash)".
        """;

    /// <summary>
    /// Response files (<c>@file</c>) are off: an argument is what it says (a folder named <c>@site</c> is a folder).
    /// </summary>
    private static readonly ParserConfiguration s_parserConfiguration = new() { ResponseFileTokenReplacer = null };

    private static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error, processWide: true);

    /// <summary>Runs the tool with these arguments, writing to these streams, and returns its exit code.</summary>
    /// <param name="args">The arguments, without the program's name.</param>
    /// <param name="output">Standard output: URLs, usage, tables.</param>
    /// <param name="error">Standard error: errors, warnings (the logs go to the process's stderr, and only from <see cref="Main"/>).</param>
    /// <param name="processWide">
    /// Whether this is the tool's own process, which logs and handles Ctrl+C (false in the tests, which run the command
    /// line in theirs).
    /// </param>
    internal static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool processWide = false)
    {
        if (args.Count > 0 && args[0] == "help")
        {
            args = [.. args.Skip(1), "--help"]; // `dartio help [COMMAND...]`, as before System.CommandLine
        }

        using var host = new ToolHost(output, error, processWide);
        var (root, verbose) = CreateRootCommand(host);
        var parse = root.Parse(args, s_parserConfiguration);
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false, // exceptions become exit codes below
            ProcessTerminationTimeout = null, // ToolHost handles Ctrl+C and SIGTERM: a server's drain takes longer than 2 s
        };

        var ownAction = parse.Action is not null && parse.Action == parse.CommandResult.Command.Action;
        if (ownAction || parse.Action is ParseErrorAction)
        {
            if (IsMissingSubcommand(parse))
            {
                // `dartio` or `dartio certs` alone: what there is to choose from (its help), as a bad invocation.
                string[] help = [.. parse.Tokens.Select(t => t.Value), "--help"];
                await root.Parse(help, s_parserConfiguration).InvokeAsync(configuration).ConfigureAwait(false);
                return ToolHost.ExitUsage;
            }

            var problem = UnknownOption(parse) ?? FirstError(parse);
            if (problem is not null)
            {
                await error.WriteLineAsync($"dartio: {problem} (try {CommandPath(parse.CommandResult)} --help)").ConfigureAwait(false);
                return ToolHost.ExitUsage;
            }

            host.Start(parse.GetValue(verbose));
        }

        try
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"dartio: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ToolHost.ExitUsage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // NetworkException, TlsException and HttpException are IOExceptions: their text names what failed.
            await error.WriteLineAsync($"dartio: {OneLine(ex.Message)}").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }
    }

    /// <summary>The command tree, with <c>-v/--verbose</c> on every command.</summary>
    internal static (RootCommand Root, Option<bool> Verbose) CreateRootCommand(ToolHost host)
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log more (Debug), on stderr", Recursive = true };
        var root = new RootCommand(Description) { HelpName = "dartio" };
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new VersionAction();
        root.Add(verbose);
        root.Add(new EchoCommand(host).Command);
        root.Add(new ServeCommand(host).Command);
        root.Add(new CertsCommand(host).Command);
        root.Add(new CompletionCommand(host).Command);
        return (root, verbose);
    }

    /// <summary>Whether a command was given without the subcommand it needs, and that is the whole problem.</summary>
    private static bool IsMissingSubcommand(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        return parse.Action is ParseErrorAction && command.Subcommands.Count > 0 && command.Action is null
            && parse.Tokens.All(t => t.Type == TokenType.Command);
    }

    /// <summary>
    /// An argument that looks like an option (<c>-x</c>, <c>--bogus</c>) but was taken as a command's argument because
    /// no option has that name (<c>serve --bogus</c> would serve a folder named so); after <c>--</c> it is an argument.
    /// </summary>
    private static string? UnknownOption(ParseResult parse)
    {
        var tokens = parse.Tokens.ToList();
        var dashDash = tokens.FindIndex(t => t.Type == TokenType.DoubleDash);
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            foreach (var argument in result.Command.Arguments)
            {
                foreach (var token in parse.GetResult(argument)?.Tokens ?? [])
                {
                    var index = tokens.IndexOf(token);
                    if (token.Value.Length > 1 && token.Value[0] == '-' && (dashDash < 0 || index < dashDash))
                    {
                        return $"unrecognized command or argument '{token.Value}'";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The first parse problem, one line: a word nothing took (<c>certs frob</c>, <c>serve a b</c>) before what that
    /// caused ("required command was not provided"), else System.CommandLine's first error.
    /// </summary>
    private static string? FirstError(ParseResult parse) =>
        parse.UnmatchedTokens.Count > 0 ? $"unrecognized command or argument '{parse.UnmatchedTokens[0]}'"
            : parse.Errors.Count > 0 ? LowerFirst(OneLine(parse.Errors[0].Message).TrimEnd('.'))
            : null;

    /// <summary><c>dartio certs create</c>: the words that name a command.</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is CommandResult command; at = command.Parent)
        {
            names.Add(command.Command is RootCommand ? "dartio" : command.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>A message as one line: its lines joined with spaces.</summary>
    private static string OneLine(string message) =>
        string.Join(' ', message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace('\t', ' ');

    /// <summary>System.CommandLine's sentence in the tool's style: "Required argument missing" → "required argument missing".</summary>
    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;

    /// <summary><c>--version</c>: the tool's informational version (the package's), one line on stdout.</summary>
    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? typeof(Program).Assembly.GetName().Version?.ToString() ?? "0.0.0";
            parseResult.InvocationConfiguration.Output.WriteLine(version);
            return ToolHost.ExitOk;
        }
    }
}
