using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DartIo.Internal;

/// <summary>Turns .NET's socket errors into Dart's <see cref="OSError"/>: the errno and the OS's own text.</summary>
internal static class OSErrors
{
    /// <summary>ETIMEDOUT on Linux: what a connect that ran out of time reports.</summary>
    public const int TimedOut = 110;

    public static OSError FromSocketException(SocketException ex)
    {
        var errno = ex.NativeErrorCode;
        var text = ex.SocketErrorCode switch
        {
            // Resolver errors have no errno; .NET's text is the resolver's.
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData or SocketError.NoRecovery => ex.Message,
            _ => SafeStrError(errno) ?? ex.Message,
        };
        return new OSError(text, errno);
    }

    private static string? SafeStrError(int errno)
    {
        if (errno <= 0)
        {
            return null;
        }

        var text = Marshal.GetPInvokeErrorMessage(errno);
        return string.IsNullOrEmpty(text) || text.StartsWith("Unknown error", StringComparison.Ordinal) ? null : text;
    }
}
