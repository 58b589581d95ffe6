using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// One OS listening socket and the <see cref="Sharer"/>s (one per server) that take its connections: the first
/// stages of the accept pipeline (docs/sockets.md): accept on demand, the per-address limit, and round-robin
/// delivery to the sharers.
/// </summary>
/// <remarks>
/// <para>
/// Connections are accepted only while some sharer is asking for one and is below its <c>MaxConnections</c>: it has
/// an accept request pending, or it is enumerating (an enumerating sharer keeps asking while its loop body runs, as
/// a Dart subscription does) and its small inbox has room. Otherwise they wait in the OS backlog. Each accepted
/// connection goes to the next asking sharer in round-robin order, so sharers that ask are served in turn.
/// </para>
/// <para>
/// Nothing is lost: every completion of a request happens under <see cref="_gate"/>, so a request is handed a
/// connection, cancelled or closed exactly once. A connection accepted while nobody is asking any more (the asker
/// was cancelled, closed or reached its limit meanwhile), left in the inbox of a sharer that closed, or given back
/// unread by a closing server, goes to the next asker; only when the last sharer leaves are such connections closed.
/// </para>
/// <para>
/// Every accepted connection is an <see cref="AcceptedConnection"/> holding its place in the limits until it is
/// released. Running short of descriptors or buffers pauses accepting with back-off (SPEC 7).
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

    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket? _socket;
    private readonly Func<CancellationToken, ValueTask<Socket>> _accept;
    private readonly TimeProvider _time;
    private readonly DescriptorBudget _budget;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Sharer> _sharers = [];
    private readonly Queue<AcceptedConnection> _undelivered = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly CancellationTokenSource _closing = new();
    private Task _acceptLoop = Task.CompletedTask;
    private ListenerPolicy _policy = ListenerPolicy.Default;
    private bool _policyFixed;
    private int _next;
    private int _nextSharerId;
    private TaskCompletionSource? _demand;
    private NetworkException? _fault;
    private bool _closed;
    private bool _budgetWarned;

    private ListeningSocket(Socket? socket, Func<CancellationToken, ValueTask<Socket>> accept, TimeProvider time,
        DescriptorBudget budget, InternetAddress address, int port, bool v6Only, bool shared, ILogger logger)
    {
        _socket = socket;
        _accept = accept;
        _time = time;
        _budget = budget;
        _logger = logger;
        Address = address;
        Port = port;
        V6Only = v6Only;
        Shared = shared;
        Key = ListenerKey.For(address, port);
        MetricTags = DartIoMetrics.ServerTags(address, port);
    }

    /// <summary>The registry key: the bound address and the actual port.</summary>
    public ListenerKey Key { get; }

    /// <summary>The address as the first sharer gave it.</summary>
    public InternetAddress Address { get; }

    /// <summary>The actual port (0 for Unix-domain sockets).</summary>
    public int Port { get; }

    public bool V6Only { get; }

    public bool Shared { get; }

    /// <summary>The attributes every <c>DartIo</c> measurement of this socket carries: server.address, server.port, network.transport.</summary>
    public KeyValuePair<string, object?>[] MetricTags { get; }

    /// <summary>The socket-wide settings, fixed by the first server that started accepting.</summary>
    public ListenerPolicy Policy
    {
        get
        {
            lock (_gate)
            {
                return _policy;
            }
        }
    }

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
                var listening = socket;
                var listener = new ListeningSocket(listening, token => listening.AcceptAsync(token), TimeProvider.System,
                    DescriptorBudget.Process, address, actualPort, v6Only, shared, logger);
                socket = null;
                listener.Start();
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

    /// <summary>
    /// A listener without an OS socket whose connections come from <paramref name="accept"/>, with time from
    /// <paramref name="time"/> and places from <paramref name="budget"/> (none: no limit): the test seam for the
    /// back-off, the descriptor budget, the fault path and per-connection failures.
    /// </summary>
    internal static ListeningSocket ForTests(Func<CancellationToken, ValueTask<Socket>> accept, TimeProvider time, ILogger logger,
        DescriptorBudget? budget = null)
    {
        var listener = new ListeningSocket(null, accept, time, budget ?? new DescriptorBudget(long.MaxValue), InternetAddress.LoopbackIPv4, 1,
            v6Only: false, shared: true, logger);
        listener.Start();
        return listener;
    }

    private void Start() => _acceptLoop = AcceptLoopAsync();

    /// <summary>Adds a sharer; called by the registry under its lock.</summary>
    public Sharer AddSharer(InternetAddress address)
    {
        lock (_gate)
        {
            var sharer = new Sharer(this, address, _nextSharerId++);
            _sharers.Add(sharer);
            return sharer;
        }
    }

    /// <summary>
    /// Fixes the socket-wide settings with a server's when it starts accepting: the first server's settings become
    /// the socket's; a later server's must agree with them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server set a value other than the socket already has.</exception>
    public void Fix(ServerSettings settings)
    {
        lock (_gate)
        {
            var merged = _policy.Merge(settings, _policyFixed, out var conflict)
                ?? throw new InvalidOperationException(Messages.SharedSettingsConflict(Address.Host, Port, conflict!));
            _policy = merged;
            _policyFixed = true;
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
                request.Complete(null);
            }

            if (_sharers.Count > 0)
            {
                _next %= _sharers.Count;
                while (sharer.Inbox.TryDequeue(out var meantForIt))
                {
                    sharer.Open--;
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
        _socket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        List<AcceptedConnection> orphans;
        lock (_gate)
        {
            orphans = [.. _undelivered];
            _undelivered.Clear();
        }

        orphans.ForEach(orphan => orphan.Drop());
        _closing.Dispose();
        Log.Closed(_logger, Address.Host, Port);
    }

    /// <summary>
    /// Counts a connection against the per-address limit under the client address a PROXY header gave it (before
    /// the header, the limit cannot know the client).
    /// </summary>
    /// <returns>False when that address already has its limit of connections: the caller closes this one.</returns>
    public bool TryCountAddress(AcceptedConnection connection, IPAddress address)
    {
        lock (_gate)
        {
            return TryCountAddressLocked(connection, address);
        }
    }

    /// <summary>Gives a connection's place back: its sharer's count, its address's count, the process's budget. Called once per connection.</summary>
    internal void Release(AcceptedConnection connection)
    {
        _budget.Release();
        DartIoMetrics.Released(this, connection.CountedActive);
        lock (_gate)
        {
            if (connection.CountedAddress is { } address && _perAddress.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _perAddress.Remove(address);
                }
                else
                {
                    _perAddress[address] = count - 1;
                }
            }

            if (connection.Owner is { } owner)
            {
                var wasAtLimit = owner.AtLimit;
                owner.Open--;
                connection.Owner = null;
                if (wasAtLimit && !owner.AtLimit)
                {
                    DrainUndeliveredLocked();
                    SignalDemandLocked();
                }
            }
        }
    }

    private bool TryCountAddressLocked(AcceptedConnection connection, IPAddress address)
    {
        var limit = _policy.MaxConnectionsPerAddress;
        if (limit == 0 || connection.CountedAddress is not null)
        {
            return true;
        }

        var key = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        _perAddress.TryGetValue(key, out var count);
        if (count >= limit)
        {
            return false;
        }

        _perAddress[key] = count + 1;
        connection.CountedAddress = key;
        return true;
    }

    private ValueTask<AcceptedConnection?> AcceptAsync(Sharer sharer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AcceptedConnection?>(cancellationToken);
        }

        AcceptRequest request;
        lock (_gate)
        {
            if (sharer.IsClosed)
            {
                return new ValueTask<AcceptedConnection?>((AcceptedConnection?)null);
            }

            if (sharer.Inbox.TryDequeue(out var delivered))
            {
                DrainUndeliveredLocked(); // a place in the inbox came free
                SignalDemandLocked();
                return new ValueTask<AcceptedConnection?>(delivered);
            }

            if (_fault is not null)
            {
                return ValueTask.FromException<AcceptedConnection?>(_fault);
            }

            if (!sharer.AtLimit && _undelivered.TryDequeue(out var ready))
            {
                TakeLocked(sharer, ready);
                return new ValueTask<AcceptedConnection?>(ready);
            }

            request = new AcceptRequest(sharer);
            sharer.Enqueue(request);
            SignalDemandLocked();
        }

        if (cancellationToken.CanBeCanceled)
        {
            request.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((AcceptRequest)state!).Owner.Listener.Cancel((AcceptRequest)state!, token),
                request);
        }

        return new ValueTask<AcceptedConnection?>(request.Task);
    }

    private void Cancel(AcceptRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (request.TrySetCanceled(cancellationToken))
            {
                request.Owner.Pending--; // the request stays queued, completed; TryTakeRequest skips it
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
            DrainUndeliveredLocked();
            SignalDemandLocked();
        }
    }

    /// <summary>A server that closes hands back a connection it took but never read from: it goes to the next asker.</summary>
    private void Return(AcceptedConnection connection)
    {
        lock (_gate)
        {
            if (connection.Owner is { } owner)
            {
                owner.Open--;
                connection.Owner = null;
            }

            if (!_closed)
            {
                DispatchLocked(connection);
                return;
            }
        }

        connection.Drop();
    }

    /// <summary>True while some sharer asks for a connection and is below its limit. Called under the lock.</summary>
    private bool HasDemandLocked()
    {
        foreach (var sharer in _sharers)
        {
            if (sharer.CanTake)
            {
                return true;
            }
        }

        return false;
    }

    private void SignalDemandLocked()
    {
        if (_demand is not null && HasDemandLocked())
        {
            _demand.TrySetResult();
            _demand = null;
        }
    }

    /// <summary>Hands connections nobody took yet to sharers that ask now. Called under the lock.</summary>
    private void DrainUndeliveredLocked()
    {
        while (_undelivered.Count > 0 && HasDemandLocked())
        {
            DispatchLocked(_undelivered.Dequeue());
        }
    }

    /// <summary>After-accept: the per-address limit (without the PROXY protocol), then delivery to the next asker.</summary>
    private void Dispatch(Socket socket)
    {
        SendQueue.Bound(socket); // every accepted connection, whichever server (plain, TLS, HTTP) takes it
        var connection = new AcceptedConnection(this, socket, countedAddress: null)
        {
            CountedActive = DartIoMetrics.Accepted(this),
        };
        string? refusedAddress = null;
        lock (_gate)
        {
            if (!_closed)
            {
                if (_policy.ProxyProtocol == ProxyProtocolMode.None && socket.RemoteEndPoint is IPEndPoint { Address: var peer }
                    && !TryCountAddressLocked(connection, peer))
                {
                    refusedAddress = peer.ToString();
                }
                else
                {
                    DispatchLocked(connection);
                    return;
                }
            }
        }

        if (refusedAddress is not null)
        {
            Log.PerAddressLimitReached(_logger, connection.Describe(), Address.Host, Port, _policy.MaxConnectionsPerAddress);
        }

        DartIoMetrics.Rejected(this, refusedAddress is not null ? DartIoMetrics.Rejections.MaxConnectionsPerAddress : DartIoMetrics.Rejections.ServerClosed);

        connection.Drop(); // over its address's limit, or the last sharer has gone: nobody is left to serve it
    }

    /// <summary>Round-robin over the sharers from <see cref="_next"/>: a pending request first, else room in an inbox.</summary>
    private void DispatchLocked(AcceptedConnection connection)
    {
        var count = _sharers.Count;
        for (var i = 0; i < count; i++)
        {
            var index = (_next + i) % count;
            var sharer = _sharers[index];
            if (sharer.AtLimit)
            {
                continue;
            }

            if (sharer.TryTakeRequest(out var request))
            {
                _next = (index + 1) % count;
                TakeLocked(sharer, connection);
                request.Complete(connection);
                return;
            }

            if (sharer.IsEnumerating && sharer.Inbox.Count < InboxCapacity)
            {
                _next = (index + 1) % count;
                TakeLocked(sharer, connection);
                sharer.Inbox.Enqueue(connection);
                return;
            }
        }

        _undelivered.Enqueue(connection);
    }

    private static void TakeLocked(Sharer sharer, AcceptedConnection connection)
    {
        connection.Owner = sharer;
        sharer.Open++;
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

                demand = HasDemandLocked()
                    ? Task.CompletedTask
                    : (_demand ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await demand.ConfigureAwait(false);

            if (!_budget.TryAcquire())
            {
                // The process holds as many connections as its descriptors allow with the runtime's reserve kept
                // (SPEC 7): accept nothing until one closes; the connections wait in the backlog meanwhile.
                LogBudgetFull();
                try
                {
                    await _budget.WhenReleasedAsync(_closing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Socket accepted;
            try
            {
                accepted = await _accept(_closing.Token).ConfigureAwait(false);
                backoff = TimeSpan.Zero;
            }
            catch (Exception) when (_closing.IsCancellationRequested)
            {
                _budget.Release();
                return;
            }
            catch (SocketException ex) when (IsConnectionFailure(ex.SocketErrorCode))
            {
                _budget.Release();
                Log.ConnectionFailedInBacklog(_logger, Address.Host, Port, ex.SocketErrorCode);
                continue;
            }
            catch (SocketException ex) when (IsResourceShortage(ex.SocketErrorCode))
            {
                _budget.Release();
                // Like Go's net/http: out of descriptors or buffers is temporary; wait and try again.
                backoff = backoff == TimeSpan.Zero ? s_firstBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
                Log.AcceptBackoff(_logger, Address.Host, Port, ex.SocketErrorCode, backoff);
                try
                {
                    await Task.Delay(backoff, _time, _closing.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Any other failure of the listening socket (a SocketException the OS gives for good, or whatever an
                // accept function throws) ends every sharer's stream with it, rather than ending the loop unseen.
                _budget.Release();
                Fault(ex);
                return;
            }

            Dispatch(accepted);
        }
    }

    /// <summary>A warning the first time this socket waits for the budget, Debug after: under a flood it would repeat per connection.</summary>
    private void LogBudgetFull()
    {
        if (!_budgetWarned)
        {
            _budgetWarned = true;
            Log.DescriptorBudgetFull(_logger, Address.Host, Port, _budget.Capacity);
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.DescriptorBudgetStillFull(_logger, Address.Host, Port, _budget.Capacity);
        }
    }

    private void Fault(Exception ex)
    {
        Log.ListenerFaulted(_logger, Address.Host, Port, ex);
        var error = ex is SocketException socketError ? OSErrors.FromSocketException(socketError) : new OSError(ex.Message);
        lock (_gate)
        {
            _fault = new NetworkException(Messages.AcceptFailed, error, Address, Port, ex);
            foreach (var sharer in _sharers)
            {
                while (sharer.TryTakeRequest(out var request))
                {
                    request.Fail(_fault);
                }
            }
        }
    }

    private static bool IsConnectionFailure(SocketError error) => error is SocketError.ConnectionReset
        or SocketError.ConnectionAborted or SocketError.NetworkDown or SocketError.NetworkUnreachable
        or SocketError.HostDown or SocketError.HostUnreachable or SocketError.ProtocolOption
        or SocketError.ProtocolNotSupported or SocketError.OperationNotSupported or SocketError.TimedOut;

    private static bool IsResourceShortage(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;

    /// <summary>One server's place on a listening socket: its pending accepts, its inbox and its count of open connections.</summary>
    internal sealed class Sharer
    {
        private readonly Queue<AcceptRequest> _requests = new();

        internal Sharer(ListeningSocket listener, InternetAddress address, int id)
        {
            Listener = listener;
            Address = address;
            Id = id;
            MetricTags = [.. listener.MetricTags, new("dartio.sharer", id)];
        }

        public ListeningSocket Listener { get; }

        /// <summary>The address as this sharer's bind gave it (its host name is the bind's string).</summary>
        public InternetAddress Address { get; }

        /// <summary>This sharer's number on its listening socket (0 for the first), the <c>dartio.sharer</c> attribute.</summary>
        public int Id { get; }

        /// <summary>The socket's <see cref="ListeningSocket.MetricTags"/> and <c>dartio.sharer</c>.</summary>
        public KeyValuePair<string, object?>[] MetricTags { get; }

        /// <summary>This server's <c>MaxConnections</c>; 0: no limit. Set before it first asks.</summary>
        public int Limit { get; set; }

        /// <summary>Connections handed to this sharer and not released yet, its inbox included (under the lock).</summary>
        public int Open { get; set; }

        /// <summary>Accept requests waiting (under the lock).</summary>
        public int Pending { get; set; }

        /// <summary>Set under the listener's lock once the sharer has left.</summary>
        public bool IsClosed { get; set; }

        /// <summary>Set under the listener's lock once the sharer enumerates: it then asks continuously.</summary>
        public bool IsEnumerating { get; set; }

        /// <summary>Connections handed to this enumerating sharer that its loop has not taken yet (under the lock).</summary>
        public Queue<AcceptedConnection> Inbox { get; } = new();

        /// <summary>True while this sharer has as many connections open as its limit allows (under the lock).</summary>
        public bool AtLimit => Limit > 0 && Open >= Limit;

        /// <summary>True while this sharer asks for a connection and may take one (under the lock).</summary>
        public bool CanTake => !IsClosed && !AtLimit && (Pending > 0 || (IsEnumerating && Inbox.Count < InboxCapacity));

        /// <summary>The next connection for this sharer, or null once it is closed.</summary>
        public ValueTask<AcceptedConnection?> AcceptAsync(CancellationToken cancellationToken) => Listener.AcceptAsync(this, cancellationToken);

        /// <summary>From now on this sharer asks continuously (it is a subscribed stream, not a one-off accept).</summary>
        public void StartEnumerating() => Listener.StartEnumerating(this);

        /// <summary>Gives back a connection this sharer took but never read from, for the next asker.</summary>
        public void Return(AcceptedConnection connection) => Listener.Return(connection);

        internal void Enqueue(AcceptRequest request)
        {
            _requests.Enqueue(request);
            Pending++;
        }

        /// <summary>Takes the oldest request still waiting, dropping cancelled ones. Called under the listener's lock.</summary>
        internal bool TryTakeRequest(out AcceptRequest request)
        {
            while (_requests.TryDequeue(out request!))
            {
                if (!request.Task.IsCompleted)
                {
                    Pending--;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One pending accept: completed under the listener's lock with a connection, null (closed), a fault or cancellation.</summary>
    internal sealed class AcceptRequest(Sharer owner) : TaskCompletionSource<AcceptedConnection?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Sharer Owner { get; } = owner;

        public CancellationTokenRegistration Registration { get; set; }

        public void Complete(AcceptedConnection? connection)
        {
            TrySetResult(connection);
            Registration.Unregister();
        }

        public void Fail(Exception error)
        {
            TrySetException(error);
            Registration.Unregister();
        }
    }
}
