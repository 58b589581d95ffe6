using Microsoft.Extensions.Logging;

namespace DartIo.Hosting.Internal;

/// <summary>The hosting package's log messages (event ids 1-99, its own range).</summary>
internal static partial class HostingLog
{
    /// <summary>The category of the hosted servers' own entries (the servers they bind log under DartIo's).</summary>
    public const string Category = "DartIo.Hosting";

    [LoggerMessage(1, LogLevel.Information, "DartIo {Kind} '{Name}' listening on {Scheme}://{Host}:{Port} ({Workers} worker(s))", EventName = "HostedServerListening")]
    public static partial void Listening(ILogger logger, string kind, string name, string scheme, string host, int port, int workers);

    [LoggerMessage(2, LogLevel.Information, "DartIo server '{Name}' stopping: no new connections; waiting up to {Timeout} for {InProgress} in progress", EventName = "HostedServerStopping")]
    public static partial void Stopping(ILogger logger, string name, TimeSpan timeout, int inProgress);

    [LoggerMessage(3, LogLevel.Information, "DartIo server '{Name}' stopped gracefully", EventName = "HostedServerStopped")]
    public static partial void Stopped(ILogger logger, string name);

    [LoggerMessage(4, LogLevel.Warning, "DartIo server '{Name}' did not finish what was in progress before {Reason}; aborting it", EventName = "HostedServerForcedStop")]
    public static partial void ForcedStop(ILogger logger, string name, string reason);

    [LoggerMessage(5, LogLevel.Error, "The connection handler of DartIo server '{Name}' failed for {Remote}; the connection is destroyed and the server goes on", EventName = "SocketHandlerFailed")]
    public static partial void SocketHandlerFailed(ILogger logger, string name, string remote, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "The connection handler of DartIo server '{Name}' ended with the connection's failure for {Remote} ({Reason}); it is destroyed", EventName = "SocketHandlerConnectionFailed")]
    public static partial void SocketHandlerConnectionFailed(ILogger logger, string name, string remote, string reason);

    [LoggerMessage(7, LogLevel.Error, "The listening socket of DartIo server '{Name}' failed; it accepts no more connections", EventName = "HostedAcceptFailed")]
    public static partial void AcceptFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "DartIo server '{Name}' stopped with {InProgress} still in progress {Wait} after the abort: a handler ignores its cancellation token and is left running", EventName = "HostedHandlersAbandoned")]
    public static partial void HandlersAbandoned(ILogger logger, string name, int inProgress, TimeSpan wait);
}
