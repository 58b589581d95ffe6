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
}
