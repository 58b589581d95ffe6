namespace DartIo.Http.Internal;

/// <summary>Every user-facing error text of the HTTP library, in one place. Texts that Dart has are Dart's.</summary>
internal static class HttpMessages
{
    public const string NotBound = "HttpServer is not bound to a socket";

    public const string AlreadySubscribed = "The server has already been listened to: an HttpServer is a single-subscription stream.";

    public const string HeadersNotMutable = "HTTP headers are not mutable";

    public const string HeaderAlreadySent = "Header already sent";

    public const string ResponseClosed = "The response is closed";

    public const string InvalidUpgradeRequest = "Invalid WebSocket upgrade request";

    public const string ConnectionClosed = "Connection closed before the response was complete";

    public static string MoreThanOneValue(string name) => $"More than one value for header {name}";

    /// <summary>The reason in the 1009 close frame (at most 123 bytes).</summary>
    public const string WebSocketMessageTooBigReason = "Message too big";

    public const string WebSocketAborted =
        "The WebSocket was aborted: the client did not answer a ping within the idle timeout, or the connection was cut";

    public static string WebSocketMessageTooBig(long maxMessageSize) =>
        $"A WebSocket message was larger than the maximum of {maxMessageSize} bytes; the connection was closed with 1009 (message too big)";

    public const string NegativeDeadline = "A response deadline cannot be negative.";

    public const string NonPositiveSessionTimeout = "A session timeout must be more than zero.";

    public static string UnknownCompression(string? coding) => $"Unknown compression '{coding}': the response compresses with gzip or br";

    public static string ProtocolNotOffered(string protocol) => $"Selected protocol '{protocol}' is not in the list of offered protocols";

    // Issue 12, limits and DetachSocketAsync.
    public const string NoRequestBodyLimit = "This request has no body size limit to change (Kestrel gave it no IHttpMaxRequestBodySizeFeature).";

    public const string DetachWithoutHeadersNotSupported =
        "DetachSocketAsync(writeHeaders: false) is not supported: Kestrel always writes the response headers before it hands the connection over.";

    public const string DetachNotHttp11 = "DetachSocketAsync needs an HTTP/1.1 request: HTTP/2 multiplexes the connection, and HTTP/1.0 has no upgrade.";

    public const string DetachNot101 =
        "DetachSocketAsync needs the response to switch protocols: set StatusCode to 101 and an Upgrade header naming the protocol first.";

    public const string DetachNotUpgradable =
        "DetachSocketAsync needs a request that asks for an upgrade (Connection: Upgrade and Upgrade headers, no body).";

    public const string DetachHeadersSent = "DetachSocketAsync was called after the response was sent, closed, upgraded or detached already.";

    // Issue 12, hostile input.
    public static string InvalidCookie(string name, string part) =>
        $"The {part} of cookie '{name}' cannot be written in a Set-Cookie header: it has a character RFC 6265 does not allow there "
        + "(a control character or ';', and in a value also space, '\"', ',' or '\\'). Encode what comes from a client.";
}
