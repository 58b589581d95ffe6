using System.Globalization;
using System.Text;

namespace DartIo;

/// <summary>
/// A PROXY protocol header (HAProxy's specification, version 1 or 2) read at the start of a connection: the
/// addresses of the connection that the proxy in front of this server relayed, and the version 2 TLVs.
/// </summary>
/// <remarks>
/// When a connection has a header with addresses, its <c>RemoteAddress</c> and <c>RemotePort</c> are
/// <see cref="SourceAddress"/> and <see cref="SourcePort"/>; a header without addresses (<see cref="IsLocal"/>)
/// leaves the real peer in place. Dart has no counterpart.
/// </remarks>
public sealed class ProxyHeader
{
    internal ProxyHeader(int version, string protocol, InternetAddress? sourceAddress, int sourcePort,
        InternetAddress? destinationAddress, int destinationPort, IReadOnlyList<KeyValuePair<byte, ReadOnlyMemory<byte>>> tlvs)
    {
        Version = version;
        Protocol = protocol;
        SourceAddress = sourceAddress;
        SourcePort = sourcePort;
        DestinationAddress = destinationAddress;
        DestinationPort = destinationPort;
        Tlvs = tlvs;
    }

    /// <summary>The version of the header: 1 (the text line) or 2 (the binary form).</summary>
    public int Version { get; }

    /// <summary>
    /// True when the header carries no addresses, so the connection's real endpoints stand: a version 2 LOCAL
    /// command (a proxy's own health check), a version 2 header with an unspecified family or transport, or a
    /// version 1 <c>UNKNOWN</c> line (whose addresses, if any, are ignored as the specification asks).
    /// </summary>
    public bool IsLocal => SourceAddress is null;

    /// <summary>
    /// The address of the client the proxy relayed; null when <see cref="IsLocal"/>. An IPv4 or IPv6 address, or
    /// for a version 2 <c>AF_UNIX</c> header a <see cref="InternetAddressType.Unix"/> address with the path the
    /// proxy sent (an abstract socket's name begins with <c>@</c>).
    /// </summary>
    public InternetAddress? SourceAddress { get; }

    /// <summary>The client's port; 0 when <see cref="IsLocal"/> or for a Unix-domain address.</summary>
    public int SourcePort { get; }

    /// <summary>
    /// The address the client connected to at the proxy; null when <see cref="IsLocal"/>. Same kinds as
    /// <see cref="SourceAddress"/>.
    /// </summary>
    public InternetAddress? DestinationAddress { get; }

    /// <summary>The port the client connected to at the proxy; 0 when <see cref="IsLocal"/> or for a Unix-domain address.</summary>
    public int DestinationPort { get; }

    /// <summary>
    /// The version 2 type-length-value fields, in the order sent, each as its type byte and its value (which may be
    /// empty); empty for version 1. Types are the specification's (<c>0x01</c> ALPN, <c>0x02</c> authority,
    /// <c>0x05</c> unique id, <c>0x20</c> SSL, …) or the sender's own; values are not interpreted, except that a
    /// <c>0x03</c> CRC32C checksum has been checked.
    /// </summary>
    public IReadOnlyList<KeyValuePair<byte, ReadOnlyMemory<byte>>> Tlvs { get; }

    /// <summary>
    /// The protocol word: <c>TCP4</c>, <c>TCP6</c>, <c>UNKNOWN</c> (version 1); <c>TCP4</c>, <c>UDP4</c>,
    /// <c>TCP6</c>, <c>UDP6</c>, <c>UNIX-STREAM</c>, <c>UNIX-DGRAM</c>, <c>UNSPEC</c> or <c>LOCAL</c> (version 2).
    /// </summary>
    internal string Protocol { get; }

    /// <summary>
    /// The header in one line for logs, for example <c>PROXY v2 TCP4 203.0.113.7:56324 -> 192.0.2.1:443 (2 TLVs)</c>
    /// or <c>PROXY v1 UNKNOWN</c>.
    /// </summary>
    /// <returns>The header as text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder("PROXY v").Append(Version.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Protocol);
        if (SourceAddress is not null && DestinationAddress is not null)
        {
            text.Append(' ');
            AppendEndpoint(text, SourceAddress, SourcePort);
            text.Append(" -> ");
            AppendEndpoint(text, DestinationAddress, DestinationPort);
        }

        if (Tlvs.Count > 0)
        {
            text.Append(" (").Append(Tlvs.Count.ToString(CultureInfo.InvariantCulture)).Append(Tlvs.Count == 1 ? " TLV)" : " TLVs)");
        }

        return text.ToString();
    }

    private static void AppendEndpoint(StringBuilder text, InternetAddress address, int port)
    {
        switch (address.Type)
        {
            case InternetAddressType.Unix:
                text.Append("unix:");
                foreach (var c in address.Address)
                {
                    text.Append(char.IsControl(c) ? '?' : c); // the path is the peer's text: keep log lines whole
                }

                break;
            case InternetAddressType.IPv6:
                text.Append('[').Append(address.Address).Append("]:").Append(port.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                text.Append(address.Address).Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
                break;
        }
    }
}
