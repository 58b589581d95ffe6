using System.Net;

namespace DartIo;

/// <summary>The endpoints of the connection a request came on. Mirrors Dart's <c>HttpConnectionInfo</c>.</summary>
public sealed class HttpConnectionInfo
{
    private HttpConnectionInfo(InternetAddress remoteAddress, int remotePort, int localPort)
    {
        RemoteAddress = remoteAddress;
        RemotePort = remotePort;
        LocalPort = localPort;
    }

    /// <summary>The client's address; an IPv4 client of a dual-stack server shows as <c>::ffff:a.b.c.d</c>.</summary>
    public InternetAddress RemoteAddress { get; }

    /// <summary>The client's port; 0 on a Unix-domain socket.</summary>
    public int RemotePort { get; }

    /// <summary>The server's port; 0 on a Unix-domain socket.</summary>
    public int LocalPort { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{RemoteAddress.Address}:{RemotePort} -> :{LocalPort}";

    internal static HttpConnectionInfo From(EndPoint? remote, EndPoint? local) => new(
        InternetAddress.FromEndPoint(remote),
        (remote as IPEndPoint)?.Port ?? 0,
        (local as IPEndPoint)?.Port ?? 0);
}
