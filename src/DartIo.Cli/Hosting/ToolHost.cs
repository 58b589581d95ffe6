using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace DartIo.Cli.Hosting;

/// <summary>What every command shares: logging to stderr, Ctrl+C / SIGTERM as a cancellation token, and exit codes.</summary>
internal sealed class ToolHost : IDisposable
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration[] _signals;

    public ToolHost(bool verbose)
    {
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace) // stdout is for the URL only
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss ";
            }));
        DartIoLogging.LoggerFactory = LoggerFactory;
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
        ];
    }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Cancelled on Ctrl+C or SIGTERM.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _stopping.Dispose();
        LoggerFactory.Dispose(); // flushes the console logger
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true; // we exit ourselves, after closing cleanly
        _stopping.Cancel();
    }
}
