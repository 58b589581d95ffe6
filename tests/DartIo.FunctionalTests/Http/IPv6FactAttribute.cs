using System.Net;
using System.Net.Sockets;

namespace DartIo.FunctionalTests.Http;

/// <summary>A fact that is skipped, visibly, on a machine without IPv6 loopback.</summary>
internal sealed class IPv6FactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    });

    public IPv6FactAttribute()
    {
        if (!s_available.Value)
        {
            Skip = "This machine has no IPv6 loopback.";
        }
    }
}
