using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DartIo.Internal;

/// <summary>Turns .NET's socket errors into Dart's <see cref="OSError"/>: the errno and the OS's own text.</summary>
internal static class OSErrors
{
    /// <summary>ETIMEDOUT on Linux: what a connect that ran out of time reports.</summary>
    public const int TimedOut = 110;

    public static OSError FromSocketException(SocketException ex) => ex.SocketErrorCode switch
    {
        // Resolver errors have getaddrinfo's codes (as Dart reports them) and the resolver's text.
        SocketError.HostNotFound => new OSError(ex.Message, -2),   // EAI_NONAME
        SocketError.TryAgain => new OSError(ex.Message, -3),       // EAI_AGAIN
        SocketError.NoRecovery => new OSError(ex.Message, -4),     // EAI_FAIL
        SocketError.NoData => new OSError(ex.Message, -5),         // EAI_NODATA
        _ => new OSError(SafeStrError(ex.NativeErrorCode) ?? ex.Message, ex.NativeErrorCode),
    };

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
