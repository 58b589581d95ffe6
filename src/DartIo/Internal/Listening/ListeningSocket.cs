using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// One OS listening socket and the <see cref="Sharer"/>s (one per <see cref="ServerSocket"/>) that take its connections.
/// </summary>
/// <remarks>
/// <para>
/// Connections are accepted only while some sharer is asking for one: it has an accept request pending,
/// or it is enumerating (an enumerating sharer keeps asking while its loop body runs, as a Dart subscription
/// does) and its small inbox has room. Otherwise they wait in the OS backlog. Each accepted connection goes
/// to the next asking sharer in round-robin order, so sharers that ask are served in turn.
/// </para>
/// <para>
/// Nothing is lost: every completion of a request happens under <see cref="_gate"/>, so a request is
/// handed a connection, cancelled or closed exactly once. A connection accepted while nobody is asking
/// any more (the asker was cancelled or closed meanwhile), or left in the inbox of a sharer that closed,
/// goes to the next asker; only when the last sharer leaves are such connections closed.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "ShutdownAsync, which the last sharer's close awaits, disposes the socket and the token source.")]
internal sealed class ListeningSocket
{
    /// <summary>
    /// How many connections an enumerating sharer may hold before its loop takes them. Large enough that a
    /// sharer whose loop body is running keeps its turn (strict round-robin) through a burst as large as a load
    /// generator's opening volley (wrk's 64 connections split 47/17 over two sharers with 16), small enough to
    /// bound what is taken from the backlog ahead of use.
    /// </summary>
    internal const int InboxCapacity = 64;

    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Sharer> _sharers = [];
    private readonly Queue<Socket> _undelivered = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _acceptLoop;
    private int _next;
    private int _pending;   // accept requests waiting, over all sharers
    private int _openSlots; // room left in the inboxes of enumerating sharers
    private TaskCompletionSource? _demand;
    private NetworkException? _fault;
    private bool _closed;

    private ListeningSocket(Socket socket, InternetAddress address, int port, bool v6Only, bool shared, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        Address = address;
        Port = port;
        V6Only = v6Only;
        Shared = shared;
        Key = ListenerKey.For(address, port);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The registry key: the bound address and the actual port.</summary>
    public ListenerKey Key { get; }

    /// <summary>The address as the first sharer gave it.</summary>
    public InternetAddress Address { get; }

    /// <summary>The actual port (0 for Unix-domain sockets).</summary>
    public int Port { get; }

    public bool V6Only { get; }

    public bool Shared { get; }

    /// <summary>Creates the OS socket: the options, bind and listen; an OS refusal is a <see cref="NetworkException"/>.</summary>
    public static ListeningSocket Bind(InternetAddress address, int port, int backlog, bool v6Only, bool shared, ILogger logger)
    {
        List<Socket>? refused = null; // 65535 picks, held open so that the OS offers another port
        Socket? socket = null;
        try
        {
            while (true)
            {
                socket = ListenerSockets.Create(address, v6Only);
                socket.Bind(address.ToEndPoint(port));
                var actualPort = socket.LocalEndPoint is IPEndPoint bound ? bound.Port : 0;
                if (port == 0 && actualPort == IPEndPoint.MaxPort)
                {
                    (refused ??= []).Add(socket);
                    socket = null;
                    continue;
                }

                socket.Listen(backlog == 0 ? (int)SocketOptionName.MaxConnections : backlog);
                var listener = new ListeningSocket(socket, address, actualPort, v6Only, shared, logger);
                socket = null;
                Log.Bound(logger, address.Host, actualPort, shared, v6Only);
                return listener;
            }
        }
        catch (SocketException ex)
        {
            throw new NetworkException(Messages.FailedToCreateServerSocket, OSErrors.FromSocketException(ex), address, port, ex);
        }
        finally
        {
            socket?.Dispose();
            refused?.ForEach(s => s.Dispose());
        }
    }

    /// <summary>Adds a sharer; called by the registry under its lock.</summary>
    public Sharer AddSharer(InternetAddress address)
    {
        lock (_gate)
        {
            var sharer = new Sharer(this, address);
            _sharers.Add(sharer);
            return sharer;
        }
    }

    /// <summary>
    /// Removes a sharer and ends its pending accepts with null; called by the registry under its lock.
    /// </summary>
    /// <returns>True when it was the last sharer: the socket is closing and the caller must <see cref="ShutdownAsync"/> it.</returns>
    public bool RemoveSharer(Sharer sharer)
    {
        lock (_gate)
        {
            if (!_sharers.Remove(sharer))
            {
                return false;
            }

            sharer.IsClosed = true;
            while (sharer.TryTakeRequest(out var request))
            {
                _pending--;
                request.Complete(null);
            }

            if (sharer.IsEnumerating)
            {
                _openSlots -= InboxCapacity - sharer.Inbox.Count;
            }

            if (_sharers.Count > 0)
            {
                _next %= _sharers.Count;
                while (sharer.Inbox.TryDequeue(out var meantForIt))
                {
                    DispatchLocked(meantForIt); // never lost: it goes to another sharer
                }

                return false;
            }

            while (sharer.Inbox.TryDequeue(out var orphan))
            {
                _undelivered.Enqueue(orphan); // closed with the rest by ShutdownAsync
            }

            _closed = true;
            _demand?.TrySetResult();
            return true;
        }
    }

    /// <summary>Closes the OS socket after the last sharer left, waits for the accept loop, and closes what nobody took.</summary>
    public async Task ShutdownAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        lock (_gate)
        {
            while (_undelivered.TryDequeue(out var orphan))
            {
                orphan.Dispose();
            }
        }

        _closing.Dispose();
        Log.Closed(_logger, Address.Host, Port);
    }

    private ValueTask<Socket?> AcceptAsync(Sharer sharer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Socket?>(cancellationToken);
        }

        AcceptRequest request;
        lock (_gate)
        {
            if (sharer.IsClosed)
            {
                return new ValueTask<Socket?>((Socket?)null);
            }

            if (sharer.Inbox.TryDequeue(out var delivered))
            {
                RefillSlotLocked(sharer);
                return new ValueTask<Socket?>(delivered);
            }

            if (_fault is not null)
            {
                return ValueTask.FromException<Socket?>(_fault);
            }

            if (_undelivered.TryDequeue(out var ready))
            {
                return new ValueTask<Socket?>(ready);
            }

            request = new AcceptRequest(sharer);
            sharer.Enqueue(request);
            _pending++;
            SignalDemandLocked();
        }

        if (cancellationToken.CanBeCanceled)
        {
            request.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((AcceptRequest)state!).Owner.Listener.Cancel((AcceptRequest)state!, token),
                request);
        }

        return new ValueTask<Socket?>(request.Task);
    }

    private void Cancel(AcceptRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (request.TrySetCanceled(cancellationToken))
            {
                _pending--; // the request stays queued, completed; TryTakeRequest skips it
            }
        }
    }

    /// <summary>Makes an enumerating sharer ask continuously: from now on it has an inbox.</summary>
    private void StartEnumerating(Sharer sharer)
    {
        lock (_gate)
        {
            if (sharer.IsClosed || sharer.IsEnumerating)
            {
                return;
            }

            sharer.IsEnumerating = true;
            for (var i = 0; i < InboxCapacity; i++)
            {
                RefillSlotLocked(sharer);
            }
        }
    }

    /// <summary>A place in an enumerating sharer's inbox came free: fill it from what nobody took yet, or ask the OS for more.</summary>
    private void RefillSlotLocked(Sharer sharer)
    {
        if (!sharer.IsEnumerating)
        {
            return;
        }

        if (_undelivered.TryDequeue(out var waiting))
        {
            sharer.Inbox.Enqueue(waiting);
            return;
        }

        _openSlots++;
        SignalDemandLocked();
    }

    private void SignalDemandLocked()
    {
        if (_demand is not null && _pending + _openSlots > 0)
        {
            _demand.TrySetResult();
            _demand = null;
        }
    }

    /// <summary>Hands an accepted connection to the next asking sharer, or keeps it for the next asker.</summary>
    private void Dispatch(Socket accepted)
    {
        SendQueue.Bound(accepted); // every accepted connection, whichever server (plain, TLS, HTTP) takes it
        lock (_gate)
        {
            if (!_closed)
            {
                DispatchLocked(accepted);
                return;
            }
        }

        accepted.Dispose(); // the last sharer has gone: nobody is left to serve it
    }

    /// <summary>Round-robin over the sharers from <see cref="_next"/>: a pending request first, else room in an inbox.</summary>
    private void DispatchLocked(Socket accepted)
    {
        var count = _sharers.Count;
        for (var i = 0; i < count; i++)
        {
            var index = (_next + i) % count;
            var sharer = _sharers[index];
            if (sharer.TryTakeRequest(out var request))
            {
                _next = (index + 1) % count;
                _pending--;
                request.Complete(accepted);
                return;
            }

            if (sharer.IsEnumerating && sharer.Inbox.Count < InboxCapacity)
            {
                _next = (index + 1) % count;
                _openSlots--;
                sharer.Inbox.Enqueue(accepted);
                return;
            }
        }

        _undelivered.Enqueue(accepted);
    }

    private async Task AcceptLoopAsync()
    {
        var backoff = TimeSpan.Zero;
        while (true)
        {
            Task demand;
            lock (_gate)
            {
                if (_closed)
                {
                    return;
                }

                demand = _pending + _openSlots > 0
                    ? Task.CompletedTask
                    : (_demand ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await demand.ConfigureAwait(false);

            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_closing.Token).ConfigureAwait(false);
                backoff = TimeSpan.Zero;
            }
            catch (Exception) when (_closing.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (IsConnectionFailure(ex.SocketErrorCode))
            {
                Log.ConnectionFailedInBacklog(_logger, Address.Host, Port, ex.SocketErrorCode);
                continue;
            }
            catch (SocketException ex) when (IsResourceShortage(ex.SocketErrorCode))
            {
                // Like Go's net/http: out of descriptors or buffers is temporary; wait and try again.
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(5) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
                Log.AcceptBackoff(_logger, Address.Host, Port, ex.SocketErrorCode, backoff);
                try
                {
                    await Task.Delay(backoff, _closing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }
            catch (SocketException ex)
            {
                Fault(ex);
                return;
            }

            Dispatch(accepted);
        }
    }

    private void Fault(SocketException ex)
    {
        Log.ListenerFaulted(_logger, Address.Host, Port, ex);
        lock (_gate)
        {
            _fault = new NetworkException(Messages.AcceptFailed, OSErrors.FromSocketException(ex), Address, Port, ex);
            foreach (var sharer in _sharers)
            {
                while (sharer.TryTakeRequest(out var request))
                {
                    request.Fail(_fault);
                }
            }

            _pending = 0;
        }
    }

    private static bool IsConnectionFailure(SocketError error) => error is SocketError.ConnectionReset
        or SocketError.ConnectionAborted or SocketError.NetworkDown or SocketError.NetworkUnreachable
        or SocketError.HostDown or SocketError.HostUnreachable or SocketError.ProtocolOption
        or SocketError.ProtocolNotSupported or SocketError.OperationNotSupported or SocketError.TimedOut;

    private static bool IsResourceShortage(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;

    /// <summary>One <see cref="ServerSocket"/>'s place on a listening socket: its queue of pending accepts.</summary>
    internal sealed class Sharer
    {
        private readonly Queue<AcceptRequest> _requests = new();

        internal Sharer(ListeningSocket listener, InternetAddress address)
        {
            Listener = listener;
            Address = address;
        }

        public ListeningSocket Listener { get; }

        /// <summary>The address as this sharer's bind gave it (its host name is the bind's string).</summary>
        public InternetAddress Address { get; }

        /// <summary>Set under the listener's lock once the sharer has left.</summary>
        public bool IsClosed { get; set; }

        /// <summary>Set under the listener's lock once the sharer enumerates: it then asks continuously.</summary>
        public bool IsEnumerating { get; set; }

        /// <summary>Connections handed to this enumerating sharer that its loop has not taken yet (under the lock).</summary>
        public Queue<Socket> Inbox { get; } = new();

        /// <summary>The next connection for this sharer, or null once it is closed.</summary>
        public ValueTask<Socket?> AcceptAsync(CancellationToken cancellationToken) => Listener.AcceptAsync(this, cancellationToken);

        /// <summary>From now on this sharer asks continuously (it is a subscribed stream, not a one-off accept).</summary>
        public void StartEnumerating() => Listener.StartEnumerating(this);

        internal void Enqueue(AcceptRequest request) => _requests.Enqueue(request);

        /// <summary>Takes the oldest request still waiting, dropping cancelled ones. Called under the listener's lock.</summary>
        internal bool TryTakeRequest(out AcceptRequest request)
        {
            while (_requests.TryDequeue(out request!))
            {
                if (!request.Task.IsCompleted)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One pending accept: completed under the listener's lock with a socket, null (closed), a fault or cancellation.</summary>
    internal sealed class AcceptRequest(Sharer owner) : TaskCompletionSource<Socket?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Sharer Owner { get; } = owner;

        public CancellationTokenRegistration Registration { get; set; }

        public void Complete(Socket? socket)
        {
            TrySetResult(socket);
            Registration.Unregister();
        }

        public void Fail(Exception error)
        {
            TrySetException(error);
            Registration.Unregister();
        }
    }
}
