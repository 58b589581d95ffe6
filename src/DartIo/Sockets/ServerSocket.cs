using System.Net.Sockets;
using System.Runtime.CompilerServices;
using DartIo.Internal;
using DartIo.Internal.Listening;
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
    private readonly Lock _gate = new();
    private Task? _closing;
    private int _subscribed;
    private volatile bool _inlineCompletions;

    private ServerSocket(ListeningSocket.Sharer sharer, ILogger logger)
    {
        _sharer = sharer;
        _logger = logger;
    }

    /// <summary>The port this server listens on; 0 for a Unix-domain socket. Still answers after close.</summary>
    public int Port => _sharer.Listener.Port;

    /// <summary>The address this server is bound to; its <see cref="InternetAddress.Host"/> is the bind's string, if one was given.</summary>
    public InternetAddress Address => _sharer.Address;

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

    /// <summary>Binds synchronously, for the other DartIo servers built on this one.</summary>
    internal static ServerSocket Bind(InternetAddress address, int port, int backlog, bool v6Only, bool shared)
    {
        var logger = DartIoLogging.CreateLogger(Log.SocketsCategory);
        return new ServerSocket(ListenerRegistry.Bind(address, port, backlog, v6Only, shared, logger), logger);
    }

    /// <summary>
    /// Waits for the next connection. Several calls may be pending at once; each gets its own connection.
    /// </summary>
    /// <param name="cancellationToken">Cancels this wait only; the server stays open and no connection is lost.</param>
    /// <returns>The connection, or null once the server is closed.</returns>
    /// <exception cref="NetworkException">The listening socket itself failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<SocketConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var accept = _sharer.AcceptAsync(cancellationToken);
        return accept.IsCompletedSuccessfully ? new ValueTask<SocketConnection?>(Wrap(accept.Result)) : AwaitAndWrap(accept);
    }

    private async ValueTask<SocketConnection?> AwaitAndWrap(ValueTask<Socket?> accept) =>
        Wrap(await accept.ConfigureAwait(false));

    private SocketConnection? Wrap(Socket? socket)
    {
        if (socket is null)
        {
            return null;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.Accepted(_logger, socket.RemoteEndPoint?.ToString() ?? "?", Address.Host, Port);
        }

        Prepare(socket);
        return new SocketConnection(socket);
    }

    /// <summary>
    /// Accepts the next raw socket, for servers that do their own I/O on it (HTTP hands it to Kestrel).
    /// </summary>
    internal ValueTask<Socket?> AcceptSocketAsync(CancellationToken cancellationToken) => _sharer.AcceptAsync(cancellationToken);

    /// <summary>Applies this server's per-connection settings to a socket it accepted, before any I/O on it.</summary>
    internal void Prepare(Socket socket)
    {
        if (_inlineCompletions)
        {
            SocketInlining.TryEnable(socket);
        }
    }

    /// <summary>
    /// Starts the single subscription: the connections, in the order they are accepted, until the server closes.
    /// Ending the enumeration early closes the server, as cancelling a Dart subscription does.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next connection.</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The server has already been enumerated once.</exception>
    public IAsyncEnumerator<SocketConnection> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        Subscribe();
        return EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>
    /// Takes the single subscription and makes this server ask continuously from now on, as an enumerating
    /// server does; for servers built on this one (HTTP subscribes when it starts listening).
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has already been subscribed to.</exception>
    internal void Subscribe()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            throw new InvalidOperationException(Messages.AlreadySubscribed);
        }

        _sharer.StartEnumerating();
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
