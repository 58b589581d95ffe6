using Microsoft.Extensions.Logging;

namespace DartIo.Http.Internal;

/// <summary>Every log message of the HTTP library, source-generated, with stable event ids 200-299.</summary>
internal static partial class HttpLog
{
    public const string Category = "DartIo.Http";

    [LoggerMessage(200, LogLevel.Information, "HTTP server listening on {Scheme}://{Host}:{Port}", EventName = "HttpBound")]
    public static partial void Bound(ILogger logger, string scheme, string host, int port);

    [LoggerMessage(201, LogLevel.Information, "HTTP server on {Host}:{Port} closed (force: {Force})", EventName = "HttpClosed")]
    public static partial void Closed(ILogger logger, string host, int port, bool force);

    [LoggerMessage(202, LogLevel.Error, "The request handler failed for {Method} {Path}; the server goes on", EventName = "HandlerFailed")]
    public static partial void HandlerFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(203, LogLevel.Error, "The listening socket of the HTTP server on {Host}:{Port} failed; the server ends with this error", EventName = "HttpListenerFaulted")]
    public static partial void ListenerFaulted(ILogger logger, string host, int port, Exception exception);

    [LoggerMessage(204, LogLevel.Debug, "Connection {ConnectionId} from {Remote} opened", EventName = "HttpConnectionOpened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string remote);

    [LoggerMessage(205, LogLevel.Debug, "Connection {ConnectionId} closed", EventName = "HttpConnectionClosed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(206, LogLevel.Debug, "A request reached the server on {Host}:{Port} after its stream had ended; answered 503", EventName = "RequestAfterClose")]
    public static partial void RequestAfterClose(ILogger logger, string host, int port);

    [LoggerMessage(207, LogLevel.Warning, "Connections of the HTTP server on {Host}:{Port} did not close gracefully", EventName = "HttpStopFailed")]
    public static partial void StopFailed(ILogger logger, string host, int port, Exception exception);

    [LoggerMessage(240, LogLevel.Debug, "The connection of {Method} {Path} closed before its response was complete ({Reason}); the rest of the response is dropped", EventName = "ResponseAborted")]
    public static partial void ResponseAborted(ILogger logger, string method, string path, string reason);

    [LoggerMessage(241, LogLevel.Debug, "A WebSocket message grew to {Size} bytes, past the maximum of {MaxMessageSize}; closed with 1009", EventName = "WebSocketMessageTooBig")]
    public static partial void WebSocketMessageTooBig(ILogger logger, long size, long maxMessageSize);

    [LoggerMessage(242, LogLevel.Debug, "A WebSocket was aborted: no pong came back to a ping within the idle timeout, or the connection was cut", EventName = "WebSocketAborted")]
    public static partial void WebSocketAborted(ILogger logger);

    [LoggerMessage(243, LogLevel.Debug, "The handler of the WebSocket {Method} {Path} ended with its WebSocket's failure ({Reason}); the connection is closed", EventName = "WebSocketHandlerEnded")]
    public static partial void WebSocketHandlerEnded(ILogger logger, string method, string path, string reason);

    // Issue 12, limits: 255-259.
    [LoggerMessage(255, LogLevel.Debug, "The request {Method} {Path} broke a limit of the server ({Reason}); answered {StatusCode} and the connection is closed", EventName = "RequestLimitExceeded")]
    public static partial void RequestLimitExceeded(ILogger logger, string method, string path, int statusCode, string reason);

    [LoggerMessage(256, LogLevel.Debug, "The request {Method} {Path} cannot be upgraded as its handler asked ({Reason}); answered 400", EventName = "UpgradeRefused")]
    public static partial void UpgradeRefused(ILogger logger, string method, string path, string reason);

    // Dart parity (issue 12): 250-254.
    [LoggerMessage(250, LogLevel.Warning, "The OnTimeout callback of an HTTP session that timed out failed; the server and its other sessions go on", EventName = "SessionTimeoutFailed")]
    public static partial void SessionTimeoutFailed(ILogger logger, Exception exception);
}
