using System.Net.Sockets;

namespace DartIo.Internal.Listening;

/// <summary>Creates listening sockets with DartIo's options: explicit IPV6_V6ONLY, TIME_WAIT rebinding, never SO_REUSEPORT.</summary>
internal static class ListenerSockets
{
    // .NET's SocketOptionName.ReuseAddress also turns on SO_REUSEPORT on Linux, which would let another
    // process that asks for it share our port. We set the plain SO_REUSEADDR ourselves instead.
    private const int SolSocketLinux = 1;
    private const int SoReuseAddrLinux = 2;
    private const int SolSocketBsd = 0xffff;
    private const int SoReuseAddrBsd = 4;

    public static Socket Create(InternetAddress address, bool v6Only)
    {
        var socket = address.Type switch
        {
            InternetAddressType.Unix => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            InternetAddressType.IPv4 => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
            _ => new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp),
        };
        try
        {
            if (address.Type == InternetAddressType.IPv6)
            {
                socket.DualMode = !v6Only; // always set: the OS default (net.ipv6.bindv6only) must not decide
            }

            if (address.Type != InternetAddressType.Unix)
            {
                AllowRebindOverTimeWait(socket);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void AllowRebindOverTimeWait(Socket socket)
    {
        if (OperatingSystem.IsWindows())
        {
            socket.ExclusiveAddressUse = true; // Windows rebinds over TIME_WAIT by default; this keeps others off
        }
        else if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(SolSocketLinux, SoReuseAddrLinux, BitConverter.GetBytes(1));
        }
        else
        {
            socket.SetRawSocketOption(SolSocketBsd, SoReuseAddrBsd, BitConverter.GetBytes(1));
        }
    }
}
