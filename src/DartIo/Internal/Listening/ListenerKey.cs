namespace DartIo.Internal.Listening;

/// <summary>
/// What makes two binds the same for the registry: the address's type, raw bytes and IPv6 scope, and the port.
/// The address's text and host name play no part, so <c>1::2</c> and <c>1:0:0:0:0:0:0:2</c> are one key.
/// </summary>
internal readonly record struct ListenerKey(InternetAddressType Type, string RawHex, long ScopeId, int Port)
{
    public static ListenerKey For(InternetAddress address, int port) =>
        new(address.Type, Convert.ToHexString(address.RawSpan), address.ScopeId, address.Type == InternetAddressType.Unix ? 0 : port);
}
