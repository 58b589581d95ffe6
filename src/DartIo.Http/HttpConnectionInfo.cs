namespace DartIo;

/// <summary>The endpoints of the connection a request came on. Mirrors Dart's <c>HttpConnectionInfo</c>.</summary>
public sealed class HttpConnectionInfo
{
    private HttpConnectionInfo(InternetAddress remoteAddress, int remotePort, int localPort, ProxyHeader? proxyHeader)
    {
        RemoteAddress = remoteAddress;
        RemotePort = remotePort;
        LocalPort = localPort;
        ProxyHeader = proxyHeader;
    }

    /// <summary>
    /// The client's address; an IPv4 client of a dual-stack server shows as <c>::ffff:a.b.c.d</c>. Behind a PROXY
    /// protocol header (<see cref="HttpServer.ProxyProtocol"/>), the client the header names.
    /// </summary>
    public InternetAddress RemoteAddress { get; }

    /// <summary>The client's port; 0 on a Unix-domain socket.</summary>
    public int RemotePort { get; }

    /// <summary>The server's port; 0 on a Unix-domain socket.</summary>
    public int LocalPort { get; }

    /// <summary>The PROXY protocol header the connection began with, with its TLVs; null when none was read.</summary>
    public ProxyHeader? ProxyHeader { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{RemoteAddress.Address}:{RemotePort} -> :{LocalPort}";

    internal static HttpConnectionInfo From(SocketConnection connection) =>
        new(connection.RemoteAddress, connection.RemotePort, connection.Port, connection.ProxyHeader);
}
