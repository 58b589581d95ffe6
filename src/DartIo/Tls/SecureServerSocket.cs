using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using DartIo.Internal;
using DartIo.Internal.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <summary>
/// A listening TLS server: a single-subscription stream of connections whose handshake is done. Mirrors Dart's
/// <c>SecureServerSocket</c>.
/// </summary>
/// <remarks>
/// <para>
/// It binds exactly as <see cref="ServerSocket"/> (strings, dual stack, <c>v6Only</c>, port 0, <c>shared</c>), then runs
/// each connection's TLS handshake on its own, off the accept path: a slow, silent or broken client never delays the
/// others. A handshake that fails or takes longer than 10 seconds is logged at Debug and its connection dropped; the
/// server goes on accepting.
/// </para>
/// <para>
/// Like <see cref="ServerSocket"/>, it takes connections from the OS only while it is asked for one: an
/// <see cref="AcceptAsync"/> pending, or enumerating (then it keeps asking while the loop body runs, working at most
/// 16 connections ahead). While a caller waits, it keeps accepting as long as handshakes are in flight and none has
/// finished for the caller (up to 1024), so that one stalled handshake does not hold up the next client.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "CloseAsync, which DisposeAsync calls, cancels and disposes the token source after the pump and every handshake have ended.")]
public sealed class SecureServerSocket : IAsyncEnumerable<SecureSocketConnection>, IAsyncDisposable
{
    /// <summary>How long a client may take to complete its handshake.</summary>
    internal static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How many handshakes may run at once while someone is asking (the look-ahead bound).</summary>
    internal const int MaxHandshakesInFlight = 1024;

    /// <summary>
    /// How many connections an enumerating server works ahead of its loop (handshakes running plus finished ones
    /// not taken yet), so that it keeps asking while its loop body runs, as an enumerating <see cref="ServerSocket"/> does.
    /// </summary>
    internal const int EnumerationLookAhead = 16;

    private readonly ServerSocket _inner;
    private readonly SecurityContext _context;
    private readonly bool _requestClientCertificate;
    private readonly bool _requireClientCertificate;
    private readonly IReadOnlyList<string>? _supportedProtocols;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _waiters = new();
    private readonly Queue<SecureSocketConnection> _ready = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;
    private int _waiting;
    private int _inFlight;
    private TaskCompletionSource? _wake;
    private CancellationTokenSource? _asking;
    private Exception? _fault;
    private bool _closed;
    private bool _enumerating;
    private Task? _closing;
    private int _subscribed;

    private SecureServerSocket(ServerSocket inner, SecurityContext context, bool requestClientCertificate, bool requireClientCertificate,
        IReadOnlyList<string>? supportedProtocols, TimeProvider timeProvider, TimeSpan handshakeTimeout)
    {
        _inner = inner;
        _context = context;
        _requestClientCertificate = requestClientCertificate || requireClientCertificate;
        _requireClientCertificate = requireClientCertificate;
        _supportedProtocols = supportedProtocols;
        _timeProvider = timeProvider;
        _handshakeTimeout = handshakeTimeout;
        _logger = DartIoLogging.CreateLogger(Log.TlsCategory);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The port this server listens on. Still answers after close.</summary>
    public int Port => _inner.Port;

    /// <summary>The address this server is bound to; its <see cref="InternetAddress.Host"/> is the bind's string, if one was given.</summary>
    public InternetAddress Address => _inner.Address;

    /// <summary>
    /// Binds a TLS server to an address given as text, which is looked up (the first result is used), with the identity
    /// of a <see cref="SecurityContext"/>. Mirrors Dart's <c>SecureServerSocket.bind(address, port, context, …)</c>.
    /// </summary>
    /// <remarks>
    /// When the task completes, the server is bound and listening: <see cref="Port"/> is the real port. Handshakes use the
    /// context's state at the time of each handshake (a changed certificate, a renewed database entry).
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">The port, 0-65535; 0 lets the OS choose an ephemeral port. A port shared with an earlier <paramref name="shared"/> bind of this process joins that server.</param>
    /// <param name="context">The server's certificate and key, trusted certificates for client certificates, ALPN list and TLS versions. Null fails the bind: a server needs a certificate.</param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum.</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</param>
    /// <param name="requestClientCertificate">Ask clients for a certificate; clients without one are still accepted.</param>
    /// <param name="requireClientCertificate">Ask clients for a certificate and fail the handshake of those without one (implies <paramref name="requestClientCertificate"/>).</param>
    /// <param name="supportedProtocols">The ALPN protocols, most preferred first; null uses the context's server list. The first that the client also offers is selected.</param>
    /// <param name="shared">True to let later binds in this process on the same address, port and <paramref name="v6Only"/> share the socket (plain and secure servers alike); connections go to the asking servers in turn.</param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="ArgumentException">A name in <paramref name="supportedProtocols"/> is empty or longer than 255 bytes of UTF-8.</exception>
    /// <exception cref="CertificateException">(From the task.) The context has no certificate with a matching private key; nothing is bound.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup failed, the OS refused the bind, or the <paramref name="shared"/> or <paramref name="v6Only"/> flags conflict with an existing bind.</exception>
    public static Task<SecureServerSocket> BindAsync(string address, int port, SecurityContext? context,
        int backlog = 0, bool v6Only = false, bool requestClientCertificate = false, bool requireClientCertificate = false,
        IReadOnlyList<string>? supportedProtocols = null, bool shared = false, CancellationToken cancellationToken = default)
    {
        var protocols = Validate(address, port, backlog, supportedProtocols);
        return BindCoreAsync(address, null, port, () => context, backlog, v6Only, requestClientCertificate, requireClientCertificate,
            protocols, shared, cancellationToken);
    }

    /// <summary>
    /// Binds a TLS server to an address with the identity of a <see cref="SecurityContext"/>. Mirrors Dart's
    /// <c>SecureServerSocket.bind(InternetAddress address, port, context, …)</c>.
    /// </summary>
    /// <inheritdoc cref="BindAsync(string, int, SecurityContext?, int, bool, bool, bool, IReadOnlyList{string}?, bool, CancellationToken)"/>
    public static Task<SecureServerSocket> BindAsync(InternetAddress address, int port, SecurityContext? context,
        int backlog = 0, bool v6Only = false, bool requestClientCertificate = false, bool requireClientCertificate = false,
        IReadOnlyList<string>? supportedProtocols = null, bool shared = false, CancellationToken cancellationToken = default)
    {
        var protocols = Validate(address, port, backlog, supportedProtocols);
        return BindCoreAsync(null, address, port, () => context, backlog, v6Only, requestClientCertificate, requireClientCertificate,
            protocols, shared, cancellationToken);
    }

    /// <summary>
    /// Binds a TLS server to an address given as text, serving the certificate of that nickname or distinguished name
    /// in <see cref="CertificateDatabase.Default"/>. Mirrors Dart 1.x's <c>SecureServerSocket.bind(address, port, certificateName, …)</c>.
    /// </summary>
    /// <remarks>
    /// The certificate is looked up before anything is bound: a bad name fails the bind and binds nothing. When the
    /// entry changes on disk (a renewed certificate), new handshakes use the new certificate without a rebind; a broken
    /// replacement keeps the old one and is logged. Client certificates, when requested, are not verified (the database
    /// holds no trusted certificates): see <see cref="SecureSocketConnection.PeerCertificate"/>.
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">The port, 0-65535; 0 lets the OS choose an ephemeral port.</param>
    /// <param name="certificateName">The certificate's nickname in the database, or its subject's distinguished name (it contains <c>CN=</c>); see <see cref="CertificateDatabase.Find"/>.</param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum.</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</param>
    /// <param name="requestClientCertificate">Ask clients for a certificate; clients without one are still accepted.</param>
    /// <param name="requireClientCertificate">Ask clients for a certificate and fail the handshake of those without one.</param>
    /// <param name="supportedProtocols">The ALPN protocols, most preferred first; null for none.</param>
    /// <param name="shared">True to let later binds in this process on the same address, port and <paramref name="v6Only"/> share the socket.</param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="certificateName"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="ArgumentException">A name in <paramref name="supportedProtocols"/> is empty or longer than 255 bytes of UTF-8.</exception>
    /// <exception cref="CertificateException">(From the task.) The certificate is not found, has no private key or cannot be read; the message names the certificate name, the database folder and what was wrong. Nothing is bound.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup failed, the OS refused the bind, or the flags conflict with an existing bind.</exception>
    public static Task<SecureServerSocket> BindAsync(string address, int port, string certificateName,
        int backlog = 0, bool v6Only = false, bool requestClientCertificate = false, bool requireClientCertificate = false,
        IReadOnlyList<string>? supportedProtocols = null, bool shared = false, CancellationToken cancellationToken = default)
    {
        var protocols = Validate(address, port, backlog, supportedProtocols);
        ArgumentNullException.ThrowIfNull(certificateName);
        return BindCoreAsync(address, null, port, () => SecurityContext.FromCertificateDatabase(CertificateDatabase.Default, certificateName),
            backlog, v6Only, requestClientCertificate, requireClientCertificate, protocols, shared, cancellationToken);
    }

    /// <summary>
    /// Binds a TLS server to an address, serving the certificate of that nickname or distinguished name in
    /// <see cref="CertificateDatabase.Default"/>. Mirrors Dart 1.x's <c>SecureServerSocket.bind(InternetAddress address, port, certificateName, …)</c>.
    /// </summary>
    /// <inheritdoc cref="BindAsync(string, int, string, int, bool, bool, bool, IReadOnlyList{string}?, bool, CancellationToken)"/>
    public static Task<SecureServerSocket> BindAsync(InternetAddress address, int port, string certificateName,
        int backlog = 0, bool v6Only = false, bool requestClientCertificate = false, bool requireClientCertificate = false,
        IReadOnlyList<string>? supportedProtocols = null, bool shared = false, CancellationToken cancellationToken = default)
    {
        var protocols = Validate(address, port, backlog, supportedProtocols);
        ArgumentNullException.ThrowIfNull(certificateName);
        return BindCoreAsync(null, address, port, () => SecurityContext.FromCertificateDatabase(CertificateDatabase.Default, certificateName),
            backlog, v6Only, requestClientCertificate, requireClientCertificate, protocols, shared, cancellationToken);
    }

    /// <summary>
    /// Binds synchronously, for tests and for other DartIo servers: the context must be complete (checked here),
    /// the address resolved.
    /// </summary>
    /// <exception cref="CertificateException">The context has no complete identity; nothing is bound.</exception>
    /// <exception cref="NetworkException">The bind failed.</exception>
    internal static SecureServerSocket Bind(InternetAddress address, int port, SecurityContext? context, int backlog, bool v6Only,
        bool requestClientCertificate, bool requireClientCertificate, IReadOnlyList<string>? supportedProtocols, bool shared,
        TimeProvider timeProvider, TimeSpan handshakeTimeout)
    {
        var identity = (context ?? throw new CertificateException(Messages.NoServerCertificate)).ServerIdentity;
        _ = identity.Context; // built now, so the first client does not wait for the chain to be walked
        var inner = ServerSocket.Bind(address, port, backlog, v6Only, shared);
        var server = new SecureServerSocket(inner, context, requestClientCertificate, requireClientCertificate, supportedProtocols,
            timeProvider, handshakeTimeout);
        Log.SecureBound(server._logger, address.Host, inner.Port, identity.Certificate.Subject,
            requireClientCertificate ? "required" : requestClientCertificate ? "requested" : "no",
            supportedProtocols is null ? "context's" : string.Join(",", supportedProtocols));
        return server;
    }

    private static string[]? Validate(object? address, int port, int backlog, IReadOnlyList<string>? supportedProtocols)
    {
        BindArguments.Validate(address, port, backlog);
        AlpnProtocols.Convert(supportedProtocols, nameof(supportedProtocols));
        return supportedProtocols?.ToArray(); // our own copy: the caller's list may change later
    }

    private static async Task<SecureServerSocket> BindCoreAsync(string? host, InternetAddress? address, int port,
        Func<SecurityContext?> context, int backlog, bool v6Only, bool requestClientCertificate, bool requireClientCertificate,
        IReadOnlyList<string>? supportedProtocols, bool shared, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield(); // the certificate lookup reads files: never on the caller's stack
        var resolvedContext = context();
        _ = (resolvedContext ?? throw new CertificateException(Messages.NoServerCertificate)).ServerIdentity;
        address ??= await BindArguments.ResolveAsync(host!, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return Bind(address, port, resolvedContext, backlog, v6Only, requestClientCertificate, requireClientCertificate,
            supportedProtocols, shared, TimeProvider.System, DefaultHandshakeTimeout);
    }

    /// <summary>
    /// Waits for the next connection whose handshake is done. Several calls may be pending at once; each gets its own.
    /// </summary>
    /// <param name="cancellationToken">Cancels this wait only; the server stays open, and a connection whose handshake finishes meanwhile waits for the next caller.</param>
    /// <returns>The connection, or null once the server is closed.</returns>
    /// <exception cref="NetworkException">The listening socket itself failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<SecureSocketConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<SecureSocketConnection?>(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<SecureSocketConnection?>((SecureSocketConnection?)null);
            }

            if (_ready.TryDequeue(out var ready))
            {
                WakePump(); // an enumerating server may work ahead again
                return new ValueTask<SecureSocketConnection?>(ready);
            }

            if (_fault is not null)
            {
                return ValueTask.FromException<SecureSocketConnection?>(_fault);
            }

            waiter = new Waiter(this);
            _waiters.Enqueue(waiter);
            _waiting++;
            WakePump();
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((Waiter)state!).Owner.Cancel((Waiter)state!, token), waiter);
        }

        return new ValueTask<SecureSocketConnection?>(waiter.Task);
    }

    /// <summary>
    /// Starts the single subscription: the connections, as their handshakes finish, until the server closes. Ending the
    /// enumeration early closes the server, as cancelling a Dart subscription does.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next connection.</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The server has already been enumerated once.</exception>
    public IAsyncEnumerator<SecureSocketConnection> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            throw new InvalidOperationException(Messages.AlreadySubscribed);
        }

        _inner.Subscribe(); // the listening socket keeps this server's turn while the loop body runs
        lock (_gate)
        {
            _enumerating = true;
            WakePump();
        }

        return EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>
    /// Stops this server: its enumeration ends, pending <see cref="AcceptAsync"/> calls return null, handshakes in flight
    /// are abandoned and connections nobody took are closed. Idempotent; never throws for a server already closed.
    /// </summary>
    /// <remarks>Completes when this server no longer holds the port (other servers sharing it keep serving).</remarks>
    /// <returns>A task that completes when the server is closed.</returns>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            return _closing ??= CloseCoreAsync();
        }
    }

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    /// <returns>A task that completes when the server is closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private async IAsyncEnumerable<SecureSocketConnection> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await AcceptAsync(cancellationToken).ConfigureAwait(false) is { } connection)
            {
                yield return connection;
            }
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task CloseCoreAsync()
    {
        List<SecureSocketConnection> untaken;
        lock (_gate)
        {
            _closed = true;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Complete(null);
            }

            _waiting = 0;
            untaken = [.. _ready];
            _ready.Clear();
            _asking?.Cancel();
            WakePump();
            if (_inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false); // abandons handshakes in flight
        await _inner.CloseAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        await _drained.Task.ConfigureAwait(false);
        foreach (var connection in untaken)
        {
            connection.Destroy();
        }

        _stopping.Dispose();
    }

    /// <summary>
    /// Takes raw connections from the listening socket while someone is asking and fewer than
    /// <see cref="MaxHandshakesInFlight"/> handshakes run, and starts each one's handshake. The accept is cancelled
    /// as soon as nobody is asking any more (the listening socket then keeps the connection for the next asker).
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

            Socket? socket;
            try
            {
                socket = await _inner.AcceptSocketAsync(asking!.Token).ConfigureAwait(false);
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

            if (socket is null)
            {
                return; // the inner server closed: only our own CloseAsync does that
            }

            lock (_gate)
            {
                if (_closed)
                {
                    socket.Dispose(); // closed while this accept completed: nobody will take it
                    return;
                }

                _inFlight++;
            }

            _ = Task.Run(() => HandshakeAsync(socket));
        }
    }

    /// <summary>One connection's handshake. Never throws: a failure is logged and the connection dropped.</summary>
    private async Task HandshakeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var transport = new ConnectionStream(socket);
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        SecureSocketConnection? connection = null;
        PeerVerification? verification = null;
        using var timeout = new CancellationTokenSource(_handshakeTimeout, _timeProvider);
        CancellationTokenSource? linked = null;
        try
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            var options = _context.CreateServerOptions(_requestClientCertificate, _requireClientCertificate, _supportedProtocols,
                out verification);
            await ssl.AuthenticateAsServerAsync(options, linked.Token).ConfigureAwait(false);
            connection = new SecureSocketConnection(transport, ssl);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.HandshakeCompleted(_logger, remote, Address.Host, Port, ssl.SslProtocol, connection.SelectedProtocol ?? "none");
            }
        }
#pragma warning disable CA1031 // One connection's failure, whatever it is, must never end the server: it is logged and dropped.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var reason = timeout.IsCancellationRequested ? Messages.HandshakeTimedOut
                    : _stopping.IsCancellationRequested ? "the server closed" : TlsErrors.Reason(ex, verification);
                Log.HandshakeFailed(_logger, remote, Address.Host, Port, reason);
            }

            await ssl.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            linked?.Dispose();
        }

        Finish(connection);
    }

    /// <summary>Hands a finished connection to the oldest waiter, or keeps it for the next; then lets the pump go on.</summary>
    private void Finish(SecureSocketConnection? connection)
    {
        var orphan = false;
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
                _asking?.Cancel();
            }

            WakePump();
            if (_closed && _inFlight == 0)
            {
                _drained.TrySetResult();
            }
        }

        if (orphan)
        {
            connection!.Destroy();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.TrySetCanceled(cancellationToken))
            {
                _waiting--; // it stays queued, completed; Finish skips it
                if (!HasDemandLocked())
                {
                    _asking?.Cancel();
                }
            }
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
    /// Whether the pump should take another connection: a caller is waiting, or an enumerating server has room to work
    /// ahead; and fewer than <see cref="MaxHandshakesInFlight"/> handshakes run. Called under the lock.
    /// </summary>
    private bool HasDemandLocked() =>
        !_closed && _inFlight < MaxHandshakesInFlight &&
        (_waiting > 0 || (_enumerating && _ready.Count + _inFlight < EnumerationLookAhead));

    /// <summary>Wakes the pump to look at the demand again. Called under the lock.</summary>
    private void WakePump()
    {
        _wake?.TrySetResult();
        _wake = null;
    }

    /// <summary>One pending <see cref="AcceptAsync"/>: completed under the lock with a connection, null (closed), a fault or cancellation.</summary>
    private sealed class Waiter(SecureServerSocket owner) : TaskCompletionSource<SecureSocketConnection?>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public SecureServerSocket Owner { get; } = owner;

        public CancellationTokenRegistration Registration { get; set; }

        public bool Complete(SecureSocketConnection? connection)
        {
            var completed = TrySetResult(connection);
            Registration.Unregister();
            return completed;
        }
    }
}
