using DartIo.Cli.Commands;
using DartIo.Cli.Hosting;

namespace DartIo.Cli;

/// <summary>The <c>dartio</c> tool: picks the command and turns its outcome into an exit code.</summary>
internal static class Program
{
    private const string Usage = """
        usage: dartio <command> [options]

        commands:
          echo    a TCP echo server            dartio echo [--address A] [--port N] [--backlog N] [--v6-only] [--workers N]
                                                   [--tls NAME [--db DIR] [--client-cert request|require] [--alpn P1,P2]]
          serve   a static file server         dartio serve [DIR] [--address A] [--port N] [--v6-only] [--workers N]
                                                   [--tls NAME [--db DIR] [--client-cert request|require]] [--gzip] [--no-listing]
                                                   [--dotfiles]
          certs   the certificate database     dartio certs list|add|remove|create|import-nss ...

        dartio COMMAND --help (or -h) explains a command. Every server prints its URL as the first line on stdout, logs to stderr (--verbose for more),
        and exits 0 on Ctrl+C after closing cleanly. Bad arguments exit 2; a failed bind exits 1.
        """;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? ToolHost.ExitUsage : ToolHost.ExitOk;
        }

        var rest = args.AsSpan(1).ToArray();
        if (rest.TakeWhile(a => a != "--").Any(a => a is "--help" or "-h") && CommandUsage(args[0]) is { } usage)
        {
            Console.Out.WriteLine(usage);
            return ToolHost.ExitOk;
        }

        var verbose = rest.Contains("--verbose");
        rest = Array.FindAll(rest, a => a != "--verbose");
        using var host = new ToolHost(verbose);
        try
        {
            return args[0] switch
            {
                "echo" => await EchoCommand.RunAsync(rest, host).ConfigureAwait(false),
                "serve" => await ServeCommand.RunAsync(rest, host).ConfigureAwait(false),
                "certs" => await CertsCommand.RunAsync(rest, host).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}' (try dartio --help)"),
            };
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"dartio: {ex.Message}").ConfigureAwait(false);
            return ToolHost.ExitUsage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // NetworkException, TlsException and HttpException are IOExceptions: their text names what failed.
            await Console.Error.WriteLineAsync($"dartio: {ex.Message}").ConfigureAwait(false);
            return ToolHost.ExitFailure;
        }
    }

    /// <summary>A command's own usage text, for <c>--help</c> or <c>-h</c> anywhere among its options; null for an unknown command.</summary>
    private static string? CommandUsage(string command) => command switch
    {
        "echo" => EchoCommand.Usage,
        "serve" => ServeCommand.Usage,
        "certs" => CertsCommand.Usage,
        _ => null,
    };
}
