using System.Net;
using System.Net.Sockets;

namespace DartIo.Http.Internal.Hosting;

/// <summary>Endpoints of DartIo connections for Kestrel.</summary>
internal static class EndPoints
{
    /// <summary>
    /// The connection's peer as DartIo reports it: behind a PROXY header, the client it names; null for an unnamed
    /// Unix-domain client (its address is empty, which no <see cref="UnixDomainSocketEndPoint"/> can hold).
    /// </summary>
    public static EndPoint? Remote(SocketConnection connection) => connection.RemoteAddress.Type == InternetAddressType.Unix
        ? connection.RemoteAddress.Address.Length == 0 ? null : new UnixDomainSocketEndPoint(connection.RemoteAddress.Address)
        : new IPEndPoint(connection.RemoteAddress.ToIPAddress(), connection.RemotePort);
}
