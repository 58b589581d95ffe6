using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DartIo;

/// <summary>
/// Where the DartIo libraries send their logs. Binds and closes are logged at Information, per-connection
/// events at Debug; keys and passwords never.
/// </summary>
public static class DartIoLogging
{
    private static ILoggerFactory s_loggerFactory = NullLoggerFactory.Instance;

    /// <summary>
    /// The logger factory used by servers and connections created after it is set. Default: no logging.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public static ILoggerFactory LoggerFactory
    {
        get => Volatile.Read(ref s_loggerFactory);
        set => Volatile.Write(ref s_loggerFactory, value ?? throw new ArgumentNullException(nameof(value)));
    }

    internal static ILogger CreateLogger(string category) => LoggerFactory.CreateLogger(category);
}
