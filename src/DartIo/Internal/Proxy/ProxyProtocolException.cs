namespace DartIo.Internal.Proxy;

/// <summary>
/// A connection's PROXY protocol header was refused: malformed, missing where one is required, or cut short by the
/// peer. The message is the reason, ready for the Debug log line; the pipeline closes the connection.
/// </summary>
internal sealed class ProxyProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why the header was refused (a text from <see cref="Messages"/>).</param>
    public ProxyProtocolException(string message)
        : base(message)
    {
    }
}
