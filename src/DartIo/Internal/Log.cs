using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal;

/// <summary>
/// Every log message of the DartIo libraries, source-generated, with stable event ids:
/// 1-99 plain sockets, 100-199 TLS and certificates, 200-299 HTTP.
/// </summary>
internal static partial class Log
{
    public const string SocketsCategory = "DartIo.Sockets";

    [LoggerMessage(1, LogLevel.Information, "Listening on {Host}:{Port} (shared: {Shared}, v6Only: {V6Only})", EventName = "Bound")]
    public static partial void Bound(ILogger logger, string host, int port, bool shared, bool v6Only);

    [LoggerMessage(2, LogLevel.Information, "Stopped listening on {Host}:{Port}", EventName = "Closed")]
    public static partial void Closed(ILogger logger, string host, int port);

    [LoggerMessage(3, LogLevel.Debug, "A connection to {Host}:{Port} failed before it was accepted ({Error}); accepting goes on", EventName = "ConnectionFailedInBacklog")]
    public static partial void ConnectionFailedInBacklog(ILogger logger, string host, int port, SocketError error);

    [LoggerMessage(4, LogLevel.Warning, "Accepting on {Host}:{Port} is short of resources ({Error}); trying again in {Delay}", EventName = "AcceptBackoff")]
    public static partial void AcceptBackoff(ILogger logger, string host, int port, SocketError error, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Error, "The listening socket on {Host}:{Port} failed; its servers end with this error", EventName = "ListenerFaulted")]
    public static partial void ListenerFaulted(ILogger logger, string host, int port, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Server on {Host}:{Port} closed; the shared socket stays open for the other servers", EventName = "SharerClosed")]
    public static partial void SharerClosed(ILogger logger, string host, int port);

    [LoggerMessage(7, LogLevel.Debug, "Accepted a connection from {Remote} on {Host}:{Port}", EventName = "Accepted")]
    public static partial void Accepted(ILogger logger, string remote, string host, int port);
}
