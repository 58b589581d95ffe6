namespace DartIo.Internal;

/// <summary>Every user-facing error text of the core library, in one place. Texts that Dart has are Dart's.</summary>
internal static class Messages
{
    public const string FailedToCreateServerSocket = "Failed to create server socket";

    public const string SharedFlagMismatch =
        "The shared flag to bind() needs to be true if binding multiple times on the same (address, port) combination.";

    public const string V6OnlyFlagMismatch =
        "The v6Only flag to bind() needs to be the same if binding multiple times on the same (address, port) combination.";

    public const string FailedReverseLookup = "Failed reverse host lookup";

    public const string ConnectionTimedOut = "Connection timed out";

    public const string AcceptFailed = "Failed to accept a connection";

    public const string AlreadySubscribed = "The server has already been listened to: a server is a single-subscription stream.";

    public static string FailedHostLookup(string host) => $"Failed host lookup: '{host}'";

    public static string PortOutOfRange(int port) => $"The port must be between 0 and 65535, not {port}.";

    public static string BacklogNegative(int backlog) => $"The backlog must not be negative, not {backlog}.";
}
