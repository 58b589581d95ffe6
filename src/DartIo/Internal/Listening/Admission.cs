using System.Net;
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
    }

    /// <summary>The connection as a caller gets it, for a server without stages.</summary>
    public static SocketConnection Wrap(AcceptedConnection accepted) => new(accepted);

    /// <summary>Runs the stages. Returns null when one refused the connection (it is then closed, and logged at Debug).</summary>
    public async ValueTask<SocketConnection?> AdmitAsync(AcceptedConnection accepted, ILogger logger, CancellationToken stopping)
    {
        using var deadline = new AdmissionDeadline(_timeout, _time, stopping);
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
}
