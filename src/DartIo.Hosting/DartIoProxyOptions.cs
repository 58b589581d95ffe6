namespace DartIo;

/// <summary>
/// The PROXY protocol for a hosted server (configuration section <c>DartIo:NAME:Proxy</c>): the server's
/// <c>ProxyProtocol</c> and <c>TrustedProxies</c>, as on <see cref="ServerSocket.ProxyProtocol"/>.
/// </summary>
public sealed class DartIoProxyOptions
{
    /// <summary>Whether a PROXY header is read: <see cref="ProxyProtocolMode.None"/> (the default), <c>Optional</c> or <c>Required</c>.</summary>
    public ProxyProtocolMode Mode { get; set; }

    /// <summary>
    /// The peers whose PROXY header is believed, as networks in CIDR notation (<c>10.0.0.0/8</c>, <c>::1/128</c>);
    /// empty (the default): every peer.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];
}
