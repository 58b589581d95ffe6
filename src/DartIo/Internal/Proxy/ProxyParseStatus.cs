namespace DartIo.Internal.Proxy;

/// <summary>What <see cref="ProxyHeaderParser.Parse"/> made of the bytes at the start of a connection.</summary>
internal enum ProxyParseStatus
{
    /// <summary>The bytes so far are a prefix of a valid header, or of a signature: more are needed to decide.</summary>
    Incomplete,

    /// <summary>The bytes cannot begin a header: they differ from both signatures (<c>PROXY </c> and version 2's 12 bytes).</summary>
    NotProxy,

    /// <summary>The bytes begin a header that is malformed; the error says why.</summary>
    Invalid,

    /// <summary>A whole, valid header; the length says how many bytes it takes.</summary>
    Complete,
}
