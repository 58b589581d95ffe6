using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// What the server knows of one open connection: how many requests are in flight on it (HTTP/2 may have
/// several), its endpoints and PROXY header for <see cref="HttpConnectionInfo"/>, and the DartIo connection under
/// it. Set as a connection feature, which Kestrel's request features fall back to.
/// </summary>
/// <remarks>
/// It also stands between Kestrel's graceful shutdown and the connection (<see cref="IConnectionLifetimeNotificationFeature"/>):
/// Kestrel drops a connection whose first request has not started when asked to close, though its client has sent
/// it (SPEC 7: a closing server answers what it accepted). The request to close reaches Kestrel once the first
/// request has started, or after <see cref="FirstRequestGrace"/> for a client that sends nothing.
/// </remarks>
internal sealed class ConnectionState : IConnectionLifetimeNotificationFeature, IDisposable
{
    /// <summary>How long a closing server waits for the first request of a connection it has accepted.</summary>
    internal static readonly TimeSpan FirstRequestGrace = TimeSpan.FromSeconds(1);

    private readonly IConnectionLifetimeNotificationFeature? _kestrel;
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly Lock _gate = new();
    private int _activeRequests;
    private bool _started;
    private bool _closePending;
    private bool _detached;
    private HttpConnectionInfo? _info;
    private ITimer? _grace;

    public ConnectionState(ConnectionContext connection)
    {
        Socket = connection.Features.Get<SocketConnection>()
            ?? throw new InvalidOperationException("A Kestrel connection that did not come from a DartIo server.");
        _kestrel = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        _kestrel?.ConnectionClosedRequested.Register(static state => ((ConnectionState)state!).OnCloseRequested(), this);
    }

    /// <summary>The DartIo connection Kestrel serves.</summary>
    public SocketConnection Socket { get; }

    public bool IsActive => Volatile.Read(ref _activeRequests) > 0;

    /// <summary>True once <see cref="HttpResponse.DetachSocketAsync"/> has handed the connection to the application: no longer counted by <c>ConnectionsInfo</c>.</summary>
    public bool Detached
    {
        get => Volatile.Read(ref _detached);
        set => Volatile.Write(ref _detached, value);
    }

    public HttpConnectionInfo Info => _info ??= HttpConnectionInfo.From(Socket);

    /// <inheritdoc/>
    public CancellationToken ConnectionClosedRequested
    {
        get => _closeRequested.Token;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public void RequestClose() => _kestrel?.RequestClose();

    public void RequestStarted()
    {
        Interlocked.Increment(ref _activeRequests);
        bool forward;
        lock (_gate)
        {
            _started = true;
            forward = _closePending;
            _closePending = false;
        }

        if (forward)
        {
            ForwardClose();
        }
    }

    public void RequestEnded() => Interlocked.Decrement(ref _activeRequests);

    /// <summary>Ends the connection's bookkeeping once Kestrel is done with it.</summary>
    public void Dispose()
    {
        _grace?.Dispose();
        _closeRequested.Dispose();
    }

    private void OnCloseRequested()
    {
        lock (_gate)
        {
            if (!_started)
            {
                _closePending = true;
                _grace = TimeProvider.System.CreateTimer(static state => ((ConnectionState)state!).OnGraceOver(), this,
                    FirstRequestGrace, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        ForwardClose();
    }

    private void OnGraceOver()
    {
        lock (_gate)
        {
            if (!_closePending)
            {
                return;
            }

            _closePending = false;
        }

        ForwardClose();
    }

    private void ForwardClose()
    {
        try
        {
            _closeRequested.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection has ended already.
        }
    }
}
