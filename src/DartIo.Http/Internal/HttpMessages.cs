namespace DartIo.Internal;

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

    public static string ProtocolNotOffered(string protocol) => $"Selected protocol '{protocol}' is not in the list of offered protocols";
}
