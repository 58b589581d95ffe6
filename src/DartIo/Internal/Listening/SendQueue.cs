using System.Net.Sockets;

namespace DartIo.Internal.Listening;

/// <summary>
/// Bounds what the kernel queues, unsent, for one accepted TCP connection (<c>TCP_NOTSENT_LOWAT</c>): a send waits
/// once <see cref="NotSentLimit"/> bytes are queued that the peer has not taken yet, instead of filling a send buffer
/// that autotunes up to <c>net.ipv4.tcp_wmem</c>'s maximum (4 MiB by default). So a peer that stops reading holds at
/// most that much kernel memory, and a server's slow-client check (Kestrel's minimum response rate) sees the
/// peer's own pace within seconds rather than after the kernel has swallowed megabytes. See docs/http.md.
/// </summary>
/// <remarks>
/// Measured on Linux 6 with a peer whose receive window is 4 KiB and that reads nothing: without the bound 2.9 MB
/// were accepted and queued (skmem w4194880); with a bound of 128 KiB, 135 KB (w180160); with 16 KiB, 20 KB; all
/// while the send buffer still autotuned to 4 MiB, so no separate cap on <c>SO_SNDBUF</c> is needed. Where the option does not exist (Windows)
/// the socket keeps the system's behaviour.
/// </remarks>
internal static class SendQueue
{
    /// <summary>The most unsent bytes the kernel keeps queued for one accepted connection.</summary>
    public const int NotSentLimit = 64 * 1024;

    private const int IpProtoTcp = 6;
    private const int TcpNotSentLowAtLinux = 25;
    private const int TcpNotSentLowAtBsd = 0x201;

    /// <summary>The option's value, made once: this runs for every accepted connection.</summary>
    private static readonly byte[] s_limit = BitConverter.GetBytes(NotSentLimit);

    /// <summary>Applies the bound to an accepted socket, before any I/O on it; does nothing for Unix-domain sockets.</summary>
    public static void Bound(Socket socket)
    {
        if (socket.ProtocolType != ProtocolType.Tcp)
        {
            return;
        }

        var option = OperatingSystem.IsLinux() ? TcpNotSentLowAtLinux
            : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? TcpNotSentLowAtBsd
            : 0;
        if (option == 0)
        {
            return;
        }

        try
        {
            socket.SetRawSocketOption(IpProtoTcp, option, s_limit);
        }
        catch (SocketException)
        {
            // An older kernel without the option: the connection works, unbounded, as before.
        }
    }
}
