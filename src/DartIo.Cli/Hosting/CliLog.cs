using Microsoft.Extensions.Logging;

namespace DartIo.Cli.Hosting;

/// <summary>The tool's own log messages (event ids 300-399).</summary>
internal static partial class CliLog
{
    [LoggerMessage(300, LogLevel.Debug, "A connection ended with an error", EventName = "ConnectionFailed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception);
}
