using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace DartIo.Internal;

/// <summary>
/// Per-socket inline completions: the socket's reads and writes complete on .NET's socket event thread instead of
/// being handed to the thread pool (bench case 5: the hand-off is most of the cost of a small echo).
/// </summary>
/// <remarks>
/// .NET has the switch per socket (<c>Socket.PreferInlineCompletions</c>, internal) and process-wide
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, for every socket of the process, HttpClient's included).
/// DartIo sets the per-socket one, only on the sockets of a server that asked for it. A runtime without the
/// member keeps its default: nothing fails, the sockets just complete on the thread pool.
/// </remarks>
internal static class SocketInlining
{
    private static volatile bool s_missing;

    /// <summary>Turns inline completions on for one socket, before its first asynchronous operation; does nothing on a runtime without the switch.</summary>
    public static void TryEnable(Socket socket)
    {
        if (s_missing)
        {
            return;
        }

        try
        {
            SetPreferInlineCompletions(socket, true);
        }
        catch (MissingMethodException)
        {
            s_missing = true;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);
}
