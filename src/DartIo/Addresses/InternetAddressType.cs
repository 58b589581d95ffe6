namespace DartIo;

/// <summary>The kind of an <see cref="InternetAddress"/>. Mirrors Dart's <c>InternetAddressType</c>.</summary>
public enum InternetAddressType
{
    /// <summary>An IPv4 address (4 bytes).</summary>
    IPv4,

    /// <summary>An IPv6 address (16 bytes).</summary>
    IPv6,

    /// <summary>A Unix-domain socket path.</summary>
    Unix,

    /// <summary>Any kind: in a lookup, both IPv4 and IPv6 results.</summary>
    Any,
}
