namespace DartIo.Internal;

/// <summary>The argument rules of the connect calls, checked before any async work.</summary>
internal static class ConnectArguments
{
    public static void Validate(int port, int sourcePort, TimeSpan? timeout)
    {
        if ((uint)port > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, Messages.PortOutOfRange(port));
        }

        if ((uint)sourcePort > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(sourcePort), sourcePort, Messages.PortOutOfRange(sourcePort));
        }

        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must be positive.");
        }
    }
}
