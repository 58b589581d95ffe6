using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// One server's part of the accept pipeline (docs/sockets.md): it takes connections from its
/// <see cref="ListeningSocket.Sharer"/>, applies the after-accept policy, runs the asynchronous admission stages
/// (the PROXY header, the TLS handshake) of each connection on its own, and hands finished connections to the
/// server's callers.
/// </summary>
/// <remarks>
/// <para>
/// Without asynchronous stages (a plain server without the PROXY protocol) a caller's accept goes straight to the
/// sharer: demand, round-robin and the inbox are exactly the listening socket's.
/// </para>
/// <para>
/// With them, a pump takes connections from the sharer while a caller is waiting and none has finished for it, or,
/// when enumerating, while fewer than <see cref="EnumerationLookAhead"/> are in flight or finished and not taken (the
/// loop body keeps its turn). Nothing else bounds the stages in flight: a silent peer holds one connection, never a
/// slot another client needs (SPEC 7); each stage has its own timeout. Finished connections go to the oldest waiting
/// caller, in the order they finish.
/// </para>
/// <para>Lock order: this pipeline's lock is never held while calling into the listening socket.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "CloseAsync disposes the token source after the pump and every stage in flight have ended.")]
internal sealed class AcceptPipeline
{
    /// <summary>
    /// How many connections an enumerating server works ahead of its loop (in its stages plus finished and not taken),
    /// so that it keeps asking while its loop body runs, as an enumerating plain server does.
    /// </summary>
    internal const int EnumerationLookAhead = 16;

    private readonly ListeningSocket.Sharer _sharer;
    private readonly Admission _admission;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _waiters = new();
    private readonly Queue<SocketConnection> _ready = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;
    private int _waiting;
    private int _inFlight;
    private TaskCompletionSource? _wake;
    private CancellationTokenSource? _asking;
    private Exception? _fault;
    private bool _closed;
    private bool _enumerating;

    /// <summary>Starts the pipeline of a server whose settings are now fixed.</summary>
    public AcceptPipeline(ListeningSocket.Sharer sharer, Admission admission, ILogger logger)
    {
        _sharer = sharer;
        _admission = admission;
        _logger = logger;
        if (admission.IsAsynchronous)
        {
            _pump = Task.Run(PumpAsync);
        }
    }

    /// <summary>Waits for the next connection that passed every stage; null once the server is closed.</summary>
    /// <exception cref="NetworkException">The listening socket itself failed.</exception>
    public ValueTask<SocketConnection?> AcceptAsync(CancellationToken cancellationToken)
    {
        if (!_admission.IsAsynchronous)
        {
            var accept = _sharer.AcceptAsync(cancellationToken);
            return accept.IsCompletedSuccessfully ? new ValueTask<SocketConnection?>(AdmitNow(accept.Result)) : AwaitAndAdmit(accept);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<SocketConnection?>(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<SocketConnection?>((SocketConnection?)null);
            }

            if (_ready.TryDequeue(out var ready))
            {
                WakePumpLocked(); // an enumerating server may work ahead again
                return new ValueTask<SocketConnection?>(ready);
            }

            if (_fault is not null)
            {
                return ValueTask.FromException<SocketConnection?>(_fault);
            }

            waiter = new Waiter(this);
            _waiters.Enqueue(waiter);
            _waiting++;
            WakePumpLocked();
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((Waiter)state!).Owner.Cancel((Waiter)state!, token), waiter);
        }

        return new ValueTask<SocketConnection?>(waiter.Task);
    }

    /// <summary>From now on the server asks continuously, as a subscribed stream does.</summary>
    public void StartEnumerating()
    {
        _sharer.StartEnumerating(); // the listening socket keeps this server's turn while the loop body runs
        lock (_gate)
        {
            _enumerating = true;
            WakePumpLocked();
        }
    }

    /// <summary>
    /// Stops: pending accepts return null, connections in their stages are abandoned (closed) and finished ones
    /// nobody took are closed. The caller releases the sharer afterwards.
    /// </summary>
    public async Task CloseAsync()
    {
        List<SocketConnection> untaken;
        CancellationTokenSource? asking;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Complete(null);
            }

            _waiting = 0;
            untaken = [.. _ready];
            _ready.Clear();
            asking = _asking;
            WakePumpLocked();
            if (_inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        StopAsking(asking);

        await _stopping.CancelAsync().ConfigureAwait(false); // abandons the stages in flight
        await _pump.ConfigureAwait(false);
        await _drained.Task.ConfigureAwait(false);
        untaken.ForEach(connection => connection.Destroy());
        _stopping.Dispose();
    }

    private async ValueTask<SocketConnection?> AwaitAndAdmit(ValueTask<AcceptedConnection?> accept) =>
        AdmitNow(await accept.ConfigureAwait(false));

    private SocketConnection? AdmitNow(AcceptedConnection? accepted)
    {
        if (accepted is null)
        {
            return null;
        }

        _admission.AfterAccept(accepted, _logger);
        return Admission.Wrap(accepted);
    }

    /// <summary>
    /// Takes connections from the sharer while someone is asking, and starts each one's stages. The accept is
    /// cancelled as soon as nobody is asking any more (the listening socket then keeps the connection for the next asker).
    /// </summary>
    private async Task PumpAsync()
    {
        while (true)
        {
            Task? idle = null;
            CancellationTokenSource? asking = null;
            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                if (HasDemandLocked())
                {
                    asking = _asking = new CancellationTokenSource();
                }
                else
                {
                    idle = (_wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }

            if (idle is not null)
            {
                await idle.ConfigureAwait(false);
                continue;
            }

            AcceptedConnection? accepted;
            try
            {
                accepted = await _sharer.AcceptAsync(asking!.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                continue; // nobody is asking any more, or the server is closing
            }
            catch (NetworkException ex)
            {
                Fail(ex);
                return;
            }
            finally
            {
                lock (_gate)
                {
                    if (_asking == asking)
                    {
                        _asking = null;
                    }
                }

                asking!.Dispose();
            }

            if (accepted is null)
            {
                return; // the sharer closed: only the server's own close does that
            }

            lock (_gate)
            {
                if (_closed)
                {
                    accepted.Owner?.Return(accepted); // closed while this accept completed: never read, so another server may take it
                    return;
                }

                _inFlight++;
            }

            _admission.AfterAccept(accepted, _logger);
            _ = Task.Run(() => AdmitAsync(accepted));
        }
    }

    /// <summary>One connection's stages. Never throws: a connection a stage refuses is closed there, and logged.</summary>
    private async Task AdmitAsync(AcceptedConnection accepted)
    {
        SocketConnection? connection = null;
        try
        {
            connection = await _admission.AdmitAsync(accepted, _logger, _stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One connection's failure, whatever it is, must never end the server.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                Log.AdmissionFailed(_logger, accepted.Describe(), _sharer.Address.Host, _sharer.Listener.Port, ex.Message);
                DartIoMetrics.Rejected(accepted.Listener, DartIoMetrics.Rejections.Other);
            }
            finally
            {
                accepted.Drop();
            }
        }
        finally
        {
            Finish(connection); // whatever happened: a stage that never finishes would hold CloseAsync forever
        }
    }

    /// <summary>Hands a finished connection to the oldest waiter, or keeps it for the next; then lets the pump go on.</summary>
    private void Finish(SocketConnection? connection)
    {
        var orphan = false;
        CancellationTokenSource? asking = null;
        lock (_gate)
        {
            if (connection is not null)
            {
                if (_closed)
                {
                    orphan = true;
                }
                else
                {
                    var delivered = false;
                    while (!delivered && _waiters.TryDequeue(out var waiter))
                    {
                        if (waiter.Complete(connection))
                        {
                            _waiting--;
                            delivered = true;
                        }
                    }

                    if (!delivered)
                    {
                        _ready.Enqueue(connection);
                    }
                }
            }

            _inFlight--;
            if (!HasDemandLocked())
            {
                asking = _asking;
            }

            WakePumpLocked();
            if (_closed && _inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        StopAsking(asking);

        if (orphan)
        {
            connection!.Destroy();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        CancellationTokenSource? asking = null;
        lock (_gate)
        {
            if (waiter.TrySetCanceled(cancellationToken))
            {
                _waiting--; // it stays queued, completed; Finish skips it
                if (!HasDemandLocked())
                {
                    asking = _asking;
                }
            }
        }

        StopAsking(asking);
    }

    /// <summary>
    /// Cancels the pump's accept on the sharer, outside this pipeline's lock (the cancellation runs into the listening
    /// socket's). The pump may have finished that accept and disposed its source meanwhile: then there is nothing to stop.
    /// </summary>
    private static void StopAsking(CancellationTokenSource? asking)
    {
        try
        {
            asking?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That accept is over already.
        }
    }

    private void Fail(Exception fault)
    {
        lock (_gate)
        {
            _fault = fault;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.TrySetException(fault);
                waiter.Registration.Unregister();
            }

            _waiting = 0;
        }
    }

    /// <summary>
    /// Whether the pump should take another connection: a caller is waiting, or an enumerating server has room to
    /// work ahead. Called under the lock.
    /// </summary>
    private bool HasDemandLocked() =>
        !_closed && (_waiting > 0 || (_enumerating && _ready.Count + _inFlight < EnumerationLookAhead));

    /// <summary>Wakes the pump to look at the demand again. Called under the lock.</summary>
    private void WakePumpLocked()
    {
        _wake?.TrySetResult();
        _wake = null;
    }

    /// <summary>One pending accept: completed under the lock with a connection, null (closed), a fault or cancellation.</summary>
    private sealed class Waiter(AcceptPipeline owner) : TaskCompletionSource<SocketConnection?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public AcceptPipeline Owner { get; } = owner;

        public CancellationTokenRegistration Registration { get; set; }

        public bool Complete(SocketConnection? connection)
        {
            var completed = TrySetResult(connection);
            Registration.Unregister();
            return completed;
        }
    }
}
