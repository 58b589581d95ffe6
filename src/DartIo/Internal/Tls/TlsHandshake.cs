using System.Net.Security;
using DartIo.Internal.Listening;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Tls;

/// <summary>
/// The TLS stage of the accept pipeline: the one server handshake policy of DartIo, for
/// <see cref="SecureServerSocket"/> and for HTTPS alike. Options come fresh from the <see cref="SecurityContext"/> for
/// every handshake (a renewed certificate is used at once; the cipher policy of SPEC 10 is in those options), the
/// handshake is bounded by the admission's deadline (10 s), and a failure is logged at Debug (event 100) with its
/// reason, never thrown at the server.
/// </summary>
internal sealed class TlsHandshake(SecurityContext context, bool requestClientCertificate, bool requireClientCertificate,
    IReadOnlyList<string>? supportedProtocols, ILogger logger)
{
    private readonly bool _request = requestClientCertificate || requireClientCertificate;

    /// <summary>The certificate's subject, for the bound log line.</summary>
    public string Subject => context.ServerIdentity.Certificate.Subject;

    /// <summary>Runs the server handshake on an accepted connection.</summary>
    /// <param name="accepted">The connection, its PROXY header (if any) already read.</param>
    /// <param name="deadline">The admission's deadline and the server's close.</param>
    /// <param name="host">The server's host, for the log.</param>
    /// <param name="port">The server's port, for the log.</param>
    /// <returns>The secure connection, or null when the handshake failed (the connection is closed and logged).</returns>
    public async ValueTask<SecureSocketConnection?> HandshakeAsync(AcceptedConnection accepted, AdmissionDeadline deadline, string host, int port)
    {
        var transport = new ConnectionStream(accepted.Socket, accepted);
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        PeerVerification? verification = null;
        var started = DartIoMetrics.StartHandshake();
        try
        {
            var options = context.CreateServerOptions(_request, requireClientCertificate, supportedProtocols, out verification);
            await ssl.AuthenticateAsServerAsync(options, deadline.Token).ConfigureAwait(false);
            var connection = new SecureSocketConnection(transport, ssl, accepted);
            DartIoMetrics.HandshakeCompleted(accepted.Listener, started, ssl.SslProtocol);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                Log.HandshakeCompleted(logger, accepted.Describe(), host, port, ssl.SslProtocol, connection.SelectedProtocol ?? "none");
            }

            return connection;
        }
#pragma warning disable CA1031 // One connection's failure, whatever it is, must never end the server: it is logged and dropped.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            DartIoMetrics.HandshakeFailed(accepted.Listener, started, deadline.ErrorType ?? TlsErrors.ErrorType(ex, verification));
            DartIoMetrics.Rejected(accepted.Listener, deadline, DartIoMetrics.Rejections.TlsHandshakeFailed);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                Log.HandshakeFailed(logger, accepted.Describe(), host, port, deadline.Reason ?? TlsErrors.Reason(ex, verification));
            }

            await ssl.DisposeAsync().ConfigureAwait(false); // closes the transport, which releases the connection's place
            return null;
        }
    }
}
