namespace DartIo;

/// <summary>A TLS operation failed. Mirrors Dart's <c>TlsException</c>.</summary>
public class TlsException : IOException
{
    /// <summary>Creates a TLS exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    public TlsException(string message, OSError? osError = null)
        : this(message, osError, innerException: null)
    {
    }

    /// <summary>Creates a TLS exception that wraps the exception that caused it.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public TlsException(string message, OSError? osError, Exception? innerException)
        : base(osError is null ? message : $"{message} ({osError})", innerException)
    {
        OSError = osError;
    }

    /// <summary>The OS or TLS library error behind the failure, or null.</summary>
    public OSError? OSError { get; }
}
