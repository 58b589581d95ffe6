using System.Security.Authentication;

namespace DartIo.Internal.Tls;

/// <summary>The reason of a failed handshake in words: the TLS library's own text is in the innermost exception.</summary>
internal static class TlsErrors
{
    public static string Reason(Exception exception, PeerVerification? verification)
    {
        if (verification?.Failure is { } failure)
        {
            return failure;
        }

        var innermost = exception;
        while (innermost.InnerException is not null && innermost is AuthenticationException or IOException
               or System.ComponentModel.Win32Exception)
        {
            innermost = innermost.InnerException;
        }

        return innermost.Message;
    }

    /// <summary>
    /// The reason as a metric's <c>error.type</c>, of low cardinality: <c>peer_certificate_rejected</c> when the
    /// client's certificate failed verification, else the full name of the exception's type, as Kestrel's
    /// <c>kestrel.tls_handshake.duration</c> does (<c>System.Security.Authentication.AuthenticationException</c>,
    /// <c>System.IO.IOException</c> for a peer that closed mid-handshake).
    /// </summary>
    public static string ErrorType(Exception exception, PeerVerification? verification) =>
        verification?.Failure is not null ? "peer_certificate_rejected" : exception.GetType().FullName ?? exception.GetType().Name;
}
