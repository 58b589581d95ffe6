using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DartIo.Cli.Hosting;

/// <summary>
/// What every command shares: stdout and stderr, logging to stderr, Ctrl+C / SIGTERM as a cancellation token, and exit
/// codes. Logging and the signal handlers are process-wide, so they start only in the tool's own process (not when the
/// tests run the command line in theirs), and only once a command is about to run.
/// </summary>
internal sealed class ToolHost : IDisposable
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    private readonly bool _processWide;
    private readonly CancellationTokenSource _stopping = new();
    private PosixSignalRegistration[] _signals = [];
    private ILoggerFactory? _loggerFactory;

    /// <param name="output">Standard output: the URLs, usage and tables, nothing else.</param>
    /// <param name="error">Standard error: errors, warnings and the access log.</param>
    /// <param name="processWide">
    /// Whether this is the tool's own process: <see cref="Start"/> then sends the library's logs to stderr and handles
    /// Ctrl+C and SIGTERM. Otherwise nothing is logged and nothing stops the commands.
    /// </param>
    public ToolHost(TextWriter output, TextWriter error, bool processWide)
    {
        Output = output;
        Error = error;
        _processWide = processWide;
    }

    /// <summary>Standard output: what a script reads (the URLs, usage, tables).</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error: errors, warnings, logs and the access log.</summary>
    public TextWriter Error { get; }

    /// <summary>The loggers, writing single lines to stderr once started; the library's logs go there too.</summary>
    public ILoggerFactory LoggerFactory => _loggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>Cancelled on Ctrl+C or SIGTERM (once started).</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts logging (Debug with <paramref name="verbose"/>, else Information) and the signal handlers, for a command about to run.</summary>
    public void Start(bool verbose)
    {
        if (!_processWide || _loggerFactory is not null)
        {
            return;
        }

        _loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace) // stdout is for the URL only
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss ";
            }));
        DartIoLogging.LoggerFactory = _loggerFactory;
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
        ];
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _stopping.Dispose();
        _loggerFactory?.Dispose(); // flushes the console logger
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true; // we exit ourselves, after closing cleanly
        _stopping.Cancel();
    }
}
