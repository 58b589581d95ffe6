using System.Net.Sockets;
using DartIo.Internal.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// What one server does with a connection between the listening socket and its caller (docs/sockets.md): the
/// after-accept policy, then the admission stages in order (the PROXY header, the per-address limit on the address it
/// names, the TLS handshake), all within one deadline. Fixed when the server starts accepting.
/// </summary>
internal sealed class Admission
{
    /// <summary>How long the PROXY header and the TLS handshake of one connection may take together.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ListenerPolicy _policy;
    private readonly TlsHandshake? _tls;
    private readonly Func<bool> _inlineCompletions;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly string _host;
    private readonly int _port;

    public Admission(ListenerPolicy policy, TlsHandshake? tls, Func<bool> inlineCompletions, TimeProvider time, TimeSpan timeout,
        string host, int port)
    {
        _policy = policy;
        _tls = tls;
        _inlineCompletions = inlineCompletions;
        _time = time;
        _timeout = timeout;
        _host = host;
        _port = port;
    }

    /// <summary>True when a connection has stages that wait for its peer: it then passes them off the accept path.</summary>
    public bool IsAsynchronous => _policy.ProxyProtocol != ProxyProtocolMode.None || _tls is not null;

    /// <summary>The after-accept policy, the same for every server: the log line and the socket options, before any I/O.</summary>
    public void AfterAccept(AcceptedConnection accepted, ILogger logger)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.Accepted(logger, accepted.Socket.RemoteEndPoint?.ToString() ?? "?", _host, _port);
        }

        if (_inlineCompletions())
        {
            SocketInlining.TryEnable(accepted.Socket);
        }

        if (accepted.Owner is { } sharer)
        {
            DartIoMetrics.Delivered(sharer);
        }
    }

    /// <summary>The connection as a caller gets it, for a server without stages.</summary>
    public static SocketConnection Wrap(AcceptedConnection accepted) => new(accepted);

    /// <summary>
    /// Runs the stages. Returns null when one refused the connection (it is then closed, and logged at Debug), or when
    /// the server closed before the client sent anything (it then goes back to the listening socket, unread).
    /// </summary>
    public async ValueTask<SocketConnection?> AdmitAsync(AcceptedConnection accepted, ILogger logger, CancellationToken stopping)
    {
        using var deadline = new AdmissionDeadline(_timeout, _time, stopping);
        if (!await FirstBytesAsync(accepted, deadline, logger).ConfigureAwait(false))
        {
            return null;
        }

        if (_policy.ProxyProtocol != ProxyProtocolMode.None && !await ProxyStage.ReadAsync(accepted, _policy, deadline, logger, _host, _port).ConfigureAwait(false))
        {
            return null;
        }

        if (_tls is not null)
        {
            return await _tls.HandshakeAsync(accepted, deadline, _host, _port).ConfigureAwait(false);
        }

        return Wrap(accepted);
    }

    /// <summary>
    /// Waits, without a buffer, until the client has sent something. A silent connection so holds no TLS state, and
    /// until then nothing has been read from it: a server that closes meanwhile hands it back to the listening socket
    /// for another sharer (SPEC 7: nothing accepted is lost).
    /// </summary>
    /// <returns>False when the connection is no longer this server's (handed back, or closed and logged).</returns>
    private async ValueTask<bool> FirstBytesAsync(AcceptedConnection accepted, AdmissionDeadline deadline, ILogger logger)
    {
        try
        {
            await accepted.Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (deadline.Reason == Messages.ServerClosed && accepted.Owner is { } owner)
        {
            owner.Return(accepted);
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Log.AdmissionFailed(logger, accepted.Describe(), _host, _port, deadline.Reason ?? ex.Message);
            DartIoMetrics.Rejected(accepted.Listener, deadline, DartIoMetrics.Rejections.ConnectionError);
            accepted.Drop();
            return false;
        }
    }
}
