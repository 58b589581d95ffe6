namespace DartIo;

/// <summary>
/// Whether a server reads a PROXY protocol header (HAProxy's version 1 text or version 2 binary form) at the start
/// of each connection, before any other stage (the TLS handshake included) reads from it.
/// </summary>
/// <remarks>
/// The header tells the server the address of the client that a proxy or load balancer in front of it relayed. It
/// is believed only from a peer in the server's <c>TrustedProxies</c> (every peer when that list is empty), and
/// nothing past the header is read: the connection's own bytes reach the next stage untouched. Dart has no
/// counterpart.
/// </remarks>
public enum ProxyProtocolMode
{
    /// <summary>No header is read: every connection's bytes are its own (the default).</summary>
    None,

    /// <summary>
    /// A header is read when a trusted peer's connection begins with one (recognised by its signature, <c>PROXY </c>
    /// or the 12-byte version 2 signature); a connection that begins otherwise, or comes from an untrusted peer, is
    /// passed on as it is. A header that begins but is malformed closes the connection. Only for a port that
    /// proxies and direct clients share: the specification asks receivers not to guess.
    /// </summary>
    Optional,

    /// <summary>
    /// Every connection must begin with a valid, complete header from a trusted peer within the handshake timeout;
    /// any other connection is closed before any other stage reads it, and the reason is logged at Debug.
    /// </summary>
    Required,
}
