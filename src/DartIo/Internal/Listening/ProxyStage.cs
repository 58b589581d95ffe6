using System.Net;
using DartIo.Internal.Proxy;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// The PROXY protocol stage (SPEC 8): before any other stage reads the connection, its header is read, exactly and
/// no further, from a trusted peer; the connection then carries the header's client as its peer, and the
/// per-address limit counts that client.
/// </summary>
internal static class ProxyStage
{
    /// <summary>The values of <c>dartio.proxy.result</c> on <c>dartio.proxy_headers</c>: a header was read (LOCAL ones too).</summary>
    internal const string ProxyResultAccepted = "accepted";

    /// <summary><c>Optional</c>: the trusted peer's connection did not begin with a signature; its bytes are its own.</summary>
    internal const string ProxyResultAbsent = "absent";

    /// <summary>The header was malformed, missing (<c>Required</c>), cut short or too slow: the connection is closed.</summary>
    internal const string ProxyResultRejected = "rejected";

    /// <summary>Reads the header as the policy asks. False when the connection is refused: it is then closed and logged.</summary>
    public static async ValueTask<bool> ReadAsync(AcceptedConnection accepted, ListenerPolicy policy, AdmissionDeadline deadline,
        ILogger logger, string host, int port)
    {
        var peer = accepted.Socket.RemoteEndPoint;
        var required = policy.ProxyProtocol == ProxyProtocolMode.Required;
        if (!policy.Trusts(peer))
        {
            if (required)
            {
                Refuse(accepted, logger, host, port, Messages.ProxyPeerUntrusted, DartIoMetrics.Rejections.ProxyPeerUntrusted);
                return false;
            }

            return CountAddress(accepted, peer, logger, host, port); // Optional: an untrusted peer's bytes are its own
        }

        try
        {
            accepted.ProxyHeader = await ProxyHeaderReader.ReadAsync(accepted.Socket, required, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProxyProtocolException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            var errorType = deadline.ErrorType ?? DartIoMetrics.Rejections.ProxyHeaderInvalid;
            DartIoMetrics.ProxyHeader(accepted.Listener, ProxyResultRejected, header: null, errorType);
            Refuse(accepted, logger, host, port, deadline.Reason ?? ex.Message, errorType);
            return false;
        }

        DartIoMetrics.ProxyHeader(accepted.Listener, accepted.ProxyHeader is null ? ProxyResultAbsent : ProxyResultAccepted, accepted.ProxyHeader);

        if (accepted.ProxyHeader is { } header && logger.IsEnabled(LogLevel.Debug))
        {
            Log.ProxyHeaderRead(logger, peer?.ToString() ?? "?", host, port, header.ToString());
        }

        return CountAddress(accepted, accepted.RemoteEndPoint, logger, host, port);
    }

    private static bool CountAddress(AcceptedConnection accepted, EndPoint? client, ILogger logger, string host, int port)
    {
        if (client is IPEndPoint { Address: var address } && !accepted.Listener.TryCountAddress(accepted, address))
        {
            Log.PerAddressLimitReached(logger, client.ToString()!, host, port, accepted.Listener.Policy.MaxConnectionsPerAddress);
            DartIoMetrics.Rejected(accepted.Listener, DartIoMetrics.Rejections.MaxConnectionsPerAddress);
            accepted.Drop();
            return false;
        }

        return true;
    }

    private static void Refuse(AcceptedConnection accepted, ILogger logger, string host, int port, string reason, string errorType)
    {
        Log.ProxyHeaderRejected(logger, accepted.Socket.RemoteEndPoint?.ToString() ?? "?", host, port, reason);
        DartIoMetrics.Rejected(accepted.Listener, errorType);
        accepted.Drop();
    }
}
