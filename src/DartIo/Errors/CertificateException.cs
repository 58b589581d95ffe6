namespace DartIo;

/// <summary>
/// A certificate or key could not be found, read, unlocked or used. Mirrors Dart's <c>CertificateException</c>.
/// </summary>
public class CertificateException : TlsException
{
    /// <summary>Creates a certificate exception.</summary>
    /// <param name="message">What was wrong, naming the certificate or file.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    public CertificateException(string message, OSError? osError = null)
        : base(message, osError)
    {
    }

    /// <summary>Creates a certificate exception that wraps the exception that caused it.</summary>
    /// <param name="message">What was wrong, naming the certificate or file.</param>
    /// <param name="osError">The OS or TLS library error behind it, if any.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public CertificateException(string message, OSError? osError, Exception? innerException)
        : base(message, osError, innerException)
    {
    }
}
