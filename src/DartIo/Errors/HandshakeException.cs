namespace DartIo;

/// <summary>A TLS handshake failed. Mirrors Dart's <c>HandshakeException</c>.</summary>
public class HandshakeException : TlsException
{
    /// <summary>Creates a handshake exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    public HandshakeException(string message, OSError? osError = null)
        : base(message, osError)
    {
    }

    /// <summary>Creates a handshake exception that wraps the exception that caused it.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public HandshakeException(string message, OSError? osError, Exception? innerException)
        : base(message, osError, innerException)
    {
    }
}
