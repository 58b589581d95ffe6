using System.Runtime.CompilerServices;
using DartIo.Internal;
using DartIo.Internal.Listening;
using DartIo.Internal.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <summary>
/// A listening TCP (or Unix-domain) server: a single-subscription stream of incoming connections.
/// Mirrors Dart's <c>ServerSocket</c>.
/// </summary>
/// <remarks>
/// Connections are taken from the OS only while this server asks for them: while it is enumerated or
/// has an <see cref="AcceptAsync"/> pending. Until then they wait in the OS backlog.
/// </remarks>
public sealed class ServerSocket : IAsyncEnumerable<SocketConnection>, IAsyncDisposable
{
    private readonly ListeningSocket.Sharer _sharer;
    private readonly ILogger _logger;
    private readonly TlsHandshake? _tls;
    private readonly TimeProvider _time;
    private readonly TimeSpan _admissionTimeout;
    private readonly ServerSettings _settings = new();
    private readonly Lock _gate = new();
    private AcceptPipeline? _pipeline;
    private Task? _closing;
    private int _subscribed;
    private volatile bool _inlineCompletions;

    private ServerSocket(ListeningSocket.Sharer sharer, ILogger logger, TlsHandshake? tls, TimeProvider time, TimeSpan admissionTimeout)
    {
        _sharer = sharer;
        _logger = logger;
        _tls = tls;
        _time = time;
        _admissionTimeout = admissionTimeout;
    }

    /// <summary>The port this server listens on; 0 for a Unix-domain socket. Still answers after close.</summary>
    public int Port => _sharer.Listener.Port;

    /// <summary>The address this server is bound to; its <see cref="InternetAddress.Host"/> is the bind's string, if one was given.</summary>
    public InternetAddress Address => _sharer.Address;

    /// <summary>
    /// How many connections of this server may be open at once; 0 (the default) for no limit. While that many are
    /// open, nothing more is accepted for this server: new connections wait in the OS backlog (or go to another
    /// server sharing the socket), as Go's <c>LimitListener</c>. A connection counts from its accept until it is closed
    /// or destroyed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Negative.</exception>
    /// <exception cref="InvalidOperationException">(Set.) The server has started accepting (an accept, an enumeration, an HTTP <c>Listen</c>).</exception>
    public int MaxConnections
    {
        get => _settings.MaxConnections;
        set => _settings.MaxConnections = value;
    }

    /// <summary>
    /// How many connections one client address may have open at once; 0 (the default) for no limit. A connection
    /// from an address at its limit is closed at once, before any TLS work, and logged at Debug. Behind the PROXY
    /// protocol the address is the client's the header names. It belongs to the OS socket: every server sharing it
    /// must agree.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Negative.</exception>
    /// <exception cref="InvalidOperationException">(Set.) The server has started accepting. (At the first accept.) Another server on the shared socket set another value.</exception>
    public int MaxConnectionsPerAddress
    {
        get => _settings.MaxConnectionsPerAddress;
        set => _settings.MaxConnectionsPerAddress = value;
    }

    /// <summary>
    /// Whether connections begin with a PROXY protocol header (HAProxy's v1 or v2), read before anything else: with
    /// <see cref="ProxyProtocolMode.Required"/> a connection without a valid header within 10 s, or from a peer outside
    /// <see cref="TrustedProxies"/>, is closed; with <see cref="ProxyProtocolMode.Optional"/> a header is read when
    /// the connection starts with one and its peer is trusted. <see cref="ProxyProtocolMode.None"/> (the default)
    /// reads none. It belongs to the OS socket: every server sharing it must agree.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Not a <see cref="ProxyProtocolMode"/>.</exception>
    /// <exception cref="InvalidOperationException">(Set.) The server has started accepting. (At the first accept.) Another server on the shared socket set another value.</exception>
    public ProxyProtocolMode ProxyProtocol
    {
        get => _settings.ProxyProtocol;
        set => _settings.ProxyProtocol = value;
    }

    /// <summary>
    /// The peers whose PROXY header is believed (the load balancers' addresses); empty (the default): every peer.
    /// Changes are refused once the server accepts. It belongs to the OS socket: every server sharing it must agree.
    /// </summary>
    public IList<System.Net.IPNetwork> TrustedProxies => _settings.TrustedProxies;

    /// <summary>
    /// True to run the connections accepted from now on the way Dart's and Node's single event loop does: their
    /// reads and writes complete on .NET's socket event thread, and the code after an <c>await</c> on them runs
    /// there too, instead of on the thread pool. False (the default) is .NET's usual way.
    /// </summary>
    /// <remarks>
    /// <para>
    /// It saves a thread hand-off on every read that has to wait: for small request/response exchanges it costs
    /// about half the server CPU per message (docs/performance.md, bench case 5). The price: code that blocks, or
    /// computes for long, after an <c>await</c> on such a connection holds up every socket of the process that
    /// waits for the event thread. Turn it on only for handlers that never block (hand heavy work to
    /// <see cref="Task.Run(Action)"/>).
    /// </para>
    /// <para>
    /// An <c>HttpServer</c> on this socket is safe either way: Kestrel runs the request handlers on its own
    /// schedulers, so only its socket I/O runs on the event thread. On a runtime without .NET's per-socket switch the
    /// setting has no effect.
    /// </para>
    /// </remarks>
    public bool InlineCompletions
    {
        get => _inlineCompletions;
        set => _inlineCompletions = value;
    }

    /// <summary>
    /// Binds a server to an address given as text, which is looked up (the first result is used). Mirrors
    /// Dart's <c>ServerSocket.bind(String address, …)</c>.
    /// </summary>
    /// <remarks>
    /// When the task completes, the server is bound and listening: <see cref="Port"/> is the real port.
    /// No other lookup result is tried if binding the first one fails. The bound <see cref="Address"/> keeps
    /// <paramref name="address"/> as its <see cref="InternetAddress.Host"/>.
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">
    /// The port, 0-65535. 0 lets the OS choose an ephemeral port (never 65535). A port shared with an earlier
    /// <paramref name="shared"/> bind of this process joins that server.
    /// </param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum (SOMAXCONN).</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4 (dual stack).</param>
    /// <param name="shared">
    /// True to let later binds in this process on the same address, port and <paramref name="v6Only"/> share the
    /// socket; connections are then spread over the servers that are asking for one, in turn.
    /// </param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="NetworkException">
    /// (From the task.) The lookup failed, the OS refused the bind (<c>Failed to create server socket</c> with the errno),
    /// or the <paramref name="shared"/> or <paramref name="v6Only"/> flags conflict with an existing bind.
    /// </exception>
    public static Task<ServerSocket> BindAsync(string address, int port, int backlog = 0,
        bool v6Only = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        BindArguments.Validate(address, port, backlog);
        return BindCoreAsync(address, port, backlog, v6Only, shared, cancellationToken);
    }

    /// <summary>
    /// Binds a server to an address. Mirrors Dart's <c>ServerSocket.bind(InternetAddress address, …)</c>.
    /// </summary>
    /// <remarks>
    /// When the task completes, the server is bound and listening. A <see cref="InternetAddressType.Unix"/>
    /// address binds a Unix-domain socket at that path (the port is ignored and reported as 0).
    /// Use <see cref="InternetAddress.LoopbackIPv4"/> or <see cref="InternetAddress.LoopbackIPv6"/> for local
    /// clients only, <see cref="InternetAddress.AnyIPv4"/> or <see cref="InternetAddress.AnyIPv6"/> for all interfaces.
    /// </remarks>
    /// <inheritdoc cref="BindAsync(string, int, int, bool, bool, CancellationToken)"/>
    public static Task<ServerSocket> BindAsync(InternetAddress address, int port, int backlog = 0,
        bool v6Only = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        BindArguments.Validate(address, port, backlog);
        return cancellationToken.IsCancellationRequested
            ? Task.FromCanceled<ServerSocket>(cancellationToken)
            : BindNow(address, port, backlog, v6Only, shared);
    }

    private static async Task<ServerSocket> BindCoreAsync(string address, int port, int backlog, bool v6Only, bool shared,
        CancellationToken cancellationToken)
    {
        var resolved = await BindArguments.ResolveAsync(address, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return await BindNow(resolved, port, backlog, v6Only, shared).ConfigureAwait(false);
    }

    private static Task<ServerSocket> BindNow(InternetAddress address, int port, int backlog, bool v6Only, bool shared)
    {
        try
        {
            return Task.FromResult(Bind(address, port, backlog, v6Only, shared));
        }
        catch (NetworkException ex)
        {
            return Task.FromException<ServerSocket>(ex);
        }
    }

    /// <summary>Binds synchronously; a <paramref name="tls"/> stage makes it the core of a <see cref="SecureServerSocket"/>.</summary>
    internal static ServerSocket Bind(InternetAddress address, int port, int backlog, bool v6Only, bool shared,
        TlsHandshake? tls = null, TimeProvider? time = null, TimeSpan? admissionTimeout = null)
    {
        var logger = DartIoLogging.CreateLogger(Log.SocketsCategory);
        return new ServerSocket(ListenerRegistry.Bind(address, port, backlog, v6Only, shared, logger), logger, tls,
            time ?? TimeProvider.System, admissionTimeout ?? Admission.DefaultTimeout);
    }

    /// <summary>
    /// Waits for the next connection. Several calls may be pending at once; each gets its own connection.
    /// </summary>
    /// <param name="cancellationToken">Cancels this wait only; the server stays open and no connection is lost.</param>
    /// <returns>The connection, or null once the server is closed.</returns>
    /// <exception cref="NetworkException">The listening socket itself failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<SocketConnection?> AcceptAsync(CancellationToken cancellationToken = default) =>
        Start().AcceptAsync(cancellationToken);

    /// <summary>
    /// The pipeline, made when the server first accepts: its settings are fixed then, and the socket-wide ones
    /// checked against the other servers on the socket.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another server on the shared socket has other socket-wide settings.</exception>
    private AcceptPipeline Start()
    {
        if (Volatile.Read(ref _pipeline) is { } pipeline)
        {
            return pipeline;
        }

        lock (_gate)
        {
            if (_pipeline is null)
            {
                var listener = _sharer.Listener;
                listener.Fix(_settings);
                _settings.Fix();
                _sharer.Limit = _settings.MaxConnections;
                var admission = new Admission(listener.Policy, _tls, () => _inlineCompletions, _time, _admissionTimeout, Address.Host, Port);
                Volatile.Write(ref _pipeline, new AcceptPipeline(_sharer, admission, _logger));
            }

            return _pipeline!;
        }
    }

    /// <summary>
    /// Starts the single subscription: the connections, in the order they are accepted, until the server closes.
    /// Ending the enumeration early closes the server, as cancelling a Dart subscription does.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next connection.</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The server has already been enumerated once; or another server on the shared socket has other socket-wide settings (nothing is subscribed then: correct them and enumerate again).</exception>
    public IAsyncEnumerator<SocketConnection> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        // The settings first: a conflict with the shared socket's throws before the single subscription is taken,
        // so the caller may correct them and subscribe again (as HttpServer.Listen allows).
        var pipeline = Start();
        if (Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            throw new InvalidOperationException(Messages.AlreadySubscribed);
        }

        pipeline.StartEnumerating();
        return EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<SocketConnection> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
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

    /// <summary>
    /// Stops this server: its enumeration ends and pending <see cref="AcceptAsync"/> calls return null.
    /// Idempotent; never throws for a server that is already closed.
    /// </summary>
    /// <remarks>
    /// Completes when this server no longer holds the port. Other servers sharing the socket keep serving;
    /// the OS socket closes with the last of them, and connections it had accepted but nobody took are closed.
    /// </remarks>
    /// <returns>A task that completes when the server is closed.</returns>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            return _closing ??= CloseCoreAsync();
        }
    }

    private async Task CloseCoreAsync()
    {
        AcceptPipeline? pipeline;
        lock (_gate)
        {
            pipeline = _pipeline;
        }

        if (pipeline is not null)
        {
            await pipeline.CloseAsync().ConfigureAwait(false);
        }

        if (ListenerRegistry.Release(_sharer))
        {
            await _sharer.Listener.ShutdownAsync().ConfigureAwait(false);
        }
        else
        {
            Log.SharerClosed(_logger, Address.Host, Port);
        }
    }

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    /// <returns>A task that completes when the server is closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);
}
