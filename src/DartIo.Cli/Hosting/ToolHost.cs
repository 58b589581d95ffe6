using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace DartIo.Cli.Hosting;

/// <summary>
/// What every command shares: stdout and stderr, logging to stderr, Ctrl+C / SIGTERM as a cancellation token, and exit
/// codes. The logger and the signal handlers are made on first use, so that parsing, help and the certificate commands
/// (run in-process by the tests) touch no process-wide state.
/// </summary>
internal sealed class ToolHost : IDisposable
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    private CancellationTokenSource? _stopping;
    private PosixSignalRegistration[] _signals = [];
    private ILoggerFactory? _loggerFactory;

    /// <param name="output">Standard output: the URLs, usage and tables, nothing else.</param>
    /// <param name="error">Standard error: errors, warnings and the access log.</param>
    public ToolHost(TextWriter output, TextWriter error)
    {
        Output = output;
        Error = error;
    }

    /// <summary>Standard output: what a script reads (the URLs, usage, tables).</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error: errors, warnings, logs and the access log.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether Debug logs are written (<c>-v</c>, <c>--verbose</c>); set from the command line before the first log.</summary>
    public bool Verbose { get; set; }

    /// <summary>The loggers, writing single lines to stderr; the library's logs go there too.</summary>
    public ILoggerFactory LoggerFactory
    {
        get
        {
            if (_loggerFactory is null)
            {
                _loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
                    .SetMinimumLevel(Verbose ? LogLevel.Debug : LogLevel.Information)
                    .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace) // stdout is for the URL only
                    .AddSimpleConsole(options =>
                    {
                        options.SingleLine = true;
                        options.TimestampFormat = "HH:mm:ss ";
                    }));
                DartIoLogging.LoggerFactory = _loggerFactory;
            }

            return _loggerFactory;
        }
    }

    /// <summary>Cancelled on Ctrl+C or SIGTERM (from the first time it is asked for on).</summary>
    public CancellationToken Stopping
    {
        get
        {
            if (_stopping is null)
            {
                _stopping = new CancellationTokenSource();
                _signals =
                [
                    PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
                    PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
                ];
            }

            return _stopping.Token;
        }
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _stopping?.Dispose();
        _loggerFactory?.Dispose(); // flushes the console logger
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true; // we exit ourselves, after closing cleanly
        _stopping?.Cancel();
    }
}
