using System.Net;
using System.Net.Sockets;

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

    /// <summary>The PROXY protocol header the connection began with, once the stage has read one.</summary>
    public ProxyHeader? ProxyHeader { get; set; }

    /// <summary>The peer as the PROXY header names it, or the socket's own peer.</summary>
    public EndPoint? RemoteEndPoint => ProxyHeader is { IsLocal: false, SourceAddress: { } source } header
        ? source.ToEndPoint(header.SourcePort)
        : Socket.RemoteEndPoint;

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
