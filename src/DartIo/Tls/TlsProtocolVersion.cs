namespace DartIo;

/// <summary>
/// The oldest TLS version a <see cref="SecurityContext"/> accepts. Mirrors Dart's <c>TlsProtocolVersion</c>.
/// SSL 3, TLS 1.0 and TLS 1.1 are never enabled.
/// </summary>
public enum TlsProtocolVersion
{
    /// <summary>TLS 1.2 and TLS 1.3 (the default).</summary>
    Tls12,

    /// <summary>TLS 1.3 only.</summary>
    Tls13,
}
