using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DartIo.Internal.Listening;

/// <summary>
/// A connection on its way from the OS to a server: its socket, what the stages learned about it (the PROXY header),
/// and its place in the limits, held until <see cref="Release"/> (when the connection closes, or is dropped on the way).
/// </summary>
/// <remarks>
/// The place is counted against the server that took it (<c>MaxConnections</c>), the client's address
/// (<c>MaxConnectionsPerAddress</c>) and the process's descriptor budget; <see cref="Release"/> gives all three back,
/// once, whoever calls it.
/// </remarks>
internal sealed class AcceptedConnection
{
    /// <summary>The size of <c>sun_path</c> on Linux, the NUL included.</summary>
    private const int UnixPathCapacity = 108;

    private int _released;

    internal AcceptedConnection(ListeningSocket listener, Socket socket, IPAddress? countedAddress)
    {
        Listener = listener;
        Socket = socket;
        CountedAddress = countedAddress;
    }

    public ListeningSocket Listener { get; }

    public Socket Socket { get; }

    /// <summary>The sharer this connection was handed to; set and changed under the listener's lock.</summary>
    public ListeningSocket.Sharer? Owner { get; set; }

    /// <summary>The client address this connection counts against for <c>MaxConnectionsPerAddress</c>, if any.</summary>
    public IPAddress? CountedAddress { get; set; }

    /// <summary>Whether <c>dartio.active_connections</c> counted this connection up (then <see cref="Release"/> counts it down).</summary>
    public bool CountedActive { get; init; }

    /// <summary>The PROXY protocol header the connection began with, once the stage has read one.</summary>
    public ProxyHeader? ProxyHeader { get; set; }

    /// <summary>
    /// The peer as the PROXY header names it, or the socket's own peer. Null for a Unix-domain client whose path no
    /// <see cref="UnixDomainSocketEndPoint"/> can hold: an unnamed client socket (the usual source a proxy on a Unix
    /// socket sends: an empty <c>sun_path</c>), or a path of 108 bytes or more once read as UTF-8. Its address then
    /// reads as the empty Unix address; <see cref="ProxyHeader"/> keeps the path as sent.
    /// </summary>
    public EndPoint? RemoteEndPoint => ProxyHeader is { IsLocal: false, SourceAddress: { } source } header
        ? SourceEndPoint(source, header.SourcePort)
        : Socket.RemoteEndPoint;

    /// <summary>A header's source as an endpoint; never throws for a source the parser produced.</summary>
    private static EndPoint? SourceEndPoint(InternetAddress source, int port)
    {
        if (source.Type != InternetAddressType.Unix)
        {
            return source.ToEndPoint(port);
        }

        // UnixDomainSocketEndPoint refuses an empty path, and one that does not fit sun_path (108 bytes) with its NUL.
        return source.Address.Length > 0 && Encoding.UTF8.GetByteCount(source.Address) < UnixPathCapacity
            ? new UnixDomainSocketEndPoint(source.Address)
            : null;
    }

    /// <summary>The peer for log lines.</summary>
    public string Describe() => RemoteEndPoint?.ToString() ?? "?";

    /// <summary>Gives the connection's place in the limits back. Idempotent; never throws.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Listener.Release(this);
        }
    }

    /// <summary>Closes the socket and gives its place back: a connection dropped on its way.</summary>
    public void Drop()
    {
        Socket.Dispose();
        Release();
    }
}
