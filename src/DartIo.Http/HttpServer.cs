using System.Threading.Channels;
using DartIo.Http.Internal;
using DartIo.Http.Internal.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <summary>
/// An HTTP server: a single-subscription stream of <see cref="HttpRequest"/>s, served by Kestrel on a DartIo
/// <see cref="ServerSocket"/>. Mirrors Dart's <c>HttpServer</c>.
/// </summary>
/// <remarks>
/// <para>
/// Serve requests with <see cref="Listen"/> (the handler runs on Kestrel's own request processing) or with
/// <c>await foreach</c>; one or the other, once. Like a Dart stream, the server accepts no connection until
/// one of them starts: until then connections wait in the OS backlog (or go to a shared server that asks).
/// </para>
/// <para>
/// HTTP/1.1 always; HTTP/2 over TLS when the client offers it (ALPN). Kestrel's limits (header sizes,
/// request-line length, slow clients, body size) keep Kestrel's defaults and are properties of the server
/// (<see cref="MaxRequestBodySize"/> and those beside it).
/// </para>
/// </remarks>
public sealed partial class HttpServer : IAsyncEnumerable<HttpRequest>, IAsyncDisposable
{
    private static readonly TimeSpan s_defaultIdleTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The default <see cref="MinResponseDataRateGracePeriod"/>.</summary>
    private static readonly TimeSpan s_defaultRateGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="MinResponseDataRate"/>: 4 KiB/s (32 kbit/s).</summary>
    private const int DefaultMinResponseDataRate = 4096;

    /// <summary>Kestrel's heartbeat: it checks timeouts once a second, after a grace of one more second.</summary>
    private static readonly TimeSpan s_kestrelTick = TimeSpan.FromSeconds(1);

    private readonly ConnectionSource _source;
    private readonly bool _secure;
    private readonly KestrelServerOptions _options;
    private readonly KestrelServer _kestrel;
    private readonly ILogger _logger;
    private readonly Task _started;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _force = new();
    private readonly Lock _gate = new();
    private readonly HashSet<ConnectionState> _connections = [];
    private readonly HttpHeaders _defaultResponseHeaders;
    private int _subscriptions;
    private Func<HttpRequest, Task>? _handler;
    private Channel<HttpRequest>? _requests;
    private volatile bool _closed;
    private Task? _closing;
    private NetworkException? _fault;
    private volatile string? _serverHeader;
    private volatile bool _autoCompress;
    private TimeSpan? _idleTimeout = s_defaultIdleTimeout;
    private int? _minResponseDataRate = DefaultMinResponseDataRate;
    private TimeSpan _rateGracePeriod = s_defaultRateGracePeriod;

    /// <summary>The port the server listens on. Mirrors Dart's <c>port</c>.</summary>
    /// <exception cref="HttpException">The server is closed.</exception>
    public int Port => _closed ? throw new HttpException(HttpMessages.NotBound) : _source.Port;

    /// <summary>The address the server listens on; its host is the bind's string, if one was given. Mirrors Dart's <c>address</c>.</summary>
    /// <exception cref="HttpException">The server is closed.</exception>
    public InternetAddress Address => _closed ? throw new HttpException(HttpMessages.NotBound) : _source.Address;

    /// <inheritdoc cref="ServerSocket.MaxConnections"/>
    /// <remarks>Counts connections, not requests: an HTTP/1.1 keep-alive or HTTP/2 connection counts once while it is open.</remarks>
    public int MaxConnections
    {
        get => _source.MaxConnections;
        set => _source.MaxConnections = value;
    }

    /// <inheritdoc cref="ServerSocket.MaxConnectionsPerAddress"/>
    public int MaxConnectionsPerAddress
    {
        get => _source.MaxConnectionsPerAddress;
        set => _source.MaxConnectionsPerAddress = value;
    }

    /// <inheritdoc cref="ServerSocket.ProxyProtocol"/>
    /// <remarks>
    /// With a header, <see cref="HttpRequest.ConnectionInfo"/> names the client behind the proxy and carries the header.
    /// On an HTTPS server the header comes before the TLS ClientHello.
    /// </remarks>
    public ProxyProtocolMode ProxyProtocol
    {
        get => _source.ProxyProtocol;
        set => _source.ProxyProtocol = value;
    }

    /// <inheritdoc cref="ServerSocket.TrustedProxies"/>
    public IList<System.Net.IPNetwork> TrustedProxies => _source.TrustedProxies;

    /// <summary>
    /// The <c>Server</c> header of every response; null (the default) sends none. Mirrors Dart's <c>serverHeader</c>.
    /// </summary>
    public string? ServerHeader
    {
        get => _serverHeader;
        set => _serverHeader = value;
    }

    /// <summary>
    /// The headers every new response starts with: by default Dart's <c>Content-Type: text/plain; charset=utf-8</c>,
    /// <c>X-Frame-Options: SAMEORIGIN</c>, <c>X-Content-Type-Options: nosniff</c> and
    /// <c>X-XSS-Protection: 1; mode=block</c>. Change or clear them before serving; a change applies to
    /// responses created after it. Mirrors Dart's <c>defaultResponseHeaders</c>.
    /// </summary>
    public HttpHeaders DefaultResponseHeaders => _defaultResponseHeaders;

    /// <summary>The clock of response deadlines (<see cref="HttpResponse.Deadline"/>); a manual one in tests.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// True to gzip response bodies of unknown length for clients that send <c>Accept-Encoding: gzip</c>;
    /// false by default. Mirrors Dart's <c>autoCompress</c>.
    /// </summary>
    /// <remarks>
    /// Gzip only, as Dart (a client's <c>*</c> does not count). <c>Accept-Encoding</c> is added to the response's
    /// <c>Vary</c>. A handler that chooses the coding itself (brotli, say) sets <see cref="HttpResponse.Compression"/>.
    /// </remarks>
    public bool AutoCompress
    {
        get => _autoCompress;
        set => _autoCompress = value;
    }

    /// <summary>
    /// How long a connection may wait for its next request before the server closes it; 120 s by default,
    /// null for never. A connection is closed after at least one timeout and at most one timeout plus a second
    /// (Kestrel checks timeouts once a second), so within Dart's one to two timeouts for timeouts of a second or
    /// more. A change applies to connections accepted after it. Mirrors Dart's <c>idleTimeout</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set
        {
            if (value is { } timeout)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(value));
            }

            _idleTimeout = value;
            _options.Limits.KeepAliveTimeout = KeepAliveFor(value);
        }
    }

    /// <summary>
    /// The slowest a client may take a response, in bytes per second, before the server closes its connection:
    /// 4096 (4 KiB/s) by default; null for no limit. A response may fall behind for
    /// <see cref="MinResponseDataRateGracePeriod"/> (30 s) before the rate counts. A
    /// change applies to requests that start after it. DartIo's own (Dart has no such limit): it is what ends a
    /// client that stops reading.
    /// </summary>
    /// <remarks>
    /// The rate is Kestrel's minimum response data rate, measured on what the connection's socket accepts. DartIo
    /// bounds what the kernel queues, unsent, per connection (64 KiB; docs/http.md), so the socket accepts what the
    /// client takes plus at most that: a client that stops reading is closed within about 50 s at the defaults, where Kestrel's own default (240 bytes/s, behind megabytes of kernel buffering)
    /// kept such clients for hours.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int? MinResponseDataRate
    {
        get => _minResponseDataRate;
        set
        {
            if (value is { } rate)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rate, 0, nameof(value));
            }

            _minResponseDataRate = value;
            _options.Limits.MinResponseDataRate = MinDataRateFor(value, _rateGracePeriod);
        }
    }

    /// <summary>
    /// How long a response may fall behind <see cref="MinResponseDataRate"/> before the rate counts: 30 s by default,
    /// more than 1 s. A change applies to requests that start after it.
    /// </summary>
    /// <remarks>
    /// A client that reads in bursts (<c>curl --limit-rate</c>, a paused video player) lets its receive window fill
    /// and then takes nothing for several seconds while it drains; with Kestrel's 5 s such clients were cut off at
    /// 50 to 250 times the minimum rate. At the defaults a client that stops reading is closed within about 50 s
    /// (30 s, plus a 64 KiB write at 4 KiB/s).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) 1 s or less (Kestrel checks rates once a second).</exception>
    public TimeSpan MinResponseDataRateGracePeriod
    {
        get => _rateGracePeriod;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.FromSeconds(1));
            _rateGracePeriod = value;
            _options.Limits.MinResponseDataRate = MinDataRateFor(_minResponseDataRate, value);
        }
    }

    /// <summary>
    /// True to let the connections accepted from now on do their socket I/O on .NET's socket event thread rather
    /// than hand each completion to the thread pool; false by default. The same as
    /// <see cref="ServerSocket.InlineCompletions"/> on the server's socket (for <see cref="ListenOn"/>, the socket given).
    /// </summary>
    /// <remarks>
    /// Request handlers never run on the event thread: Kestrel schedules them on its own, so a handler that blocks
    /// holds up its own requests only. What moves to the event thread is Kestrel's socket reads and writes, which
    /// saves a thread hand-off per read; one event thread serves the process (one per 30 cores), so on a large
    /// machine under heavy load it can become the limit. Measured in docs/performance.md (bench case 1).
    /// </remarks>
    /// <exception cref="HttpException">The server is closed.</exception>
    public bool InlineCompletions
    {
        get => _source.InlineCompletions;
        set
        {
            if (_closed)
            {
                throw new HttpException(HttpMessages.NotBound);
            }

            _source.InlineCompletions = value;
        }
    }

    /// <summary>
    /// Completes when the server has closed and every connection it served has closed: after a graceful
    /// <see cref="CloseAsync"/>, once the requests in progress have finished. Never completes before
    /// <see cref="CloseAsync"/> is called.
    /// </summary>
    public Task Done => _allClosed.Task;

    /// <summary>
    /// Binds an HTTP server to an address given as text, which is looked up (the first result is used).
    /// Mirrors Dart's <c>HttpServer.bind</c>.
    /// </summary>
    /// <remarks>
    /// When the task completes the server is bound and listening; <see cref="Port"/> is the real port. It
    /// accepts no connection until <see cref="Listen"/> is called or it is enumerated. Every bind rule of
    /// <see cref="ServerSocket.BindAsync(string, int, int, bool, bool, CancellationToken)"/> holds.
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">The port, 0-65535; 0 lets the OS choose an ephemeral port.</param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum.</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</param>
    /// <param name="shared">
    /// True to let later shared binds of this process on the same address, port and <paramref name="v6Only"/>
    /// share the socket; connections are spread over the servers that are listening, in turn.
    /// </param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup or the bind failed, or the flags conflict with a shared bind.</exception>
    public static Task<HttpServer> BindAsync(string address, int port, int backlog = 0, bool v6Only = false,
        bool shared = false, CancellationToken cancellationToken = default) =>
        BindCoreAsync(ServerSocket.BindAsync(address, port, backlog, v6Only, shared, cancellationToken)); // validates first

    /// <summary>Binds an HTTP server to an address. Mirrors Dart's <c>HttpServer.bind</c>.</summary>
    /// <remarks>
    /// When the task completes the server is bound and listening. Use <see cref="InternetAddress.AnyIPv6"/> for
    /// every interface, IPv4 clients included (unless <paramref name="v6Only"/>).
    /// </remarks>
    /// <inheritdoc cref="BindAsync(string, int, int, bool, bool, CancellationToken)"/>
    public static Task<HttpServer> BindAsync(InternetAddress address, int port, int backlog = 0, bool v6Only = false,
        bool shared = false, CancellationToken cancellationToken = default) =>
        BindCoreAsync(ServerSocket.BindAsync(address, port, backlog, v6Only, shared, cancellationToken)); // validates first

    /// <summary>
    /// Serves HTTP on a server socket that is already bound. Closing the HTTP server leaves the socket open.
    /// Mirrors Dart's <c>HttpServer.listenOn</c>.
    /// </summary>
    /// <param name="serverSocket">The socket; it must not be enumerated or accepted from elsewhere meanwhile.</param>
    /// <returns>The server; it accepts nothing until <see cref="Listen"/> is called or it is enumerated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serverSocket"/> is null.</exception>
    public static HttpServer ListenOn(ServerSocket serverSocket)
    {
        ArgumentNullException.ThrowIfNull(serverSocket);
        var server = new HttpServer(ConnectionSource.Plain(serverSocket, ownsSocket: false));
        if (server._started.IsFaulted)
        {
            server._started.GetAwaiter().GetResult(); // Kestrel's start on our transport is synchronous; surface its failure
        }

        server.LogBound();
        return server;
    }

    /// <summary>Counts the open connections by state. Mirrors Dart's <c>connectionsInfo</c>.</summary>
    /// <returns>The counts at the time of the call.</returns>
    public HttpConnectionsInfo ConnectionsInfo()
    {
        int active = 0, idle = 0, closing = 0;
        lock (_gate)
        {
            foreach (var connection in _connections)
            {
                if (connection.Detached)
                {
                    continue; // the application's now (HttpResponse.DetachSocketAsync), as in Dart
                }

                if (_closed)
                {
                    closing++;
                }
                else if (connection.IsActive)
                {
                    active++;
                }
                else
                {
                    idle++;
                }
            }
        }

        return new HttpConnectionsInfo(active, idle, closing);
    }

    /// <summary>
    /// Starts serving: calls <paramref name="handler"/> for every request, on Kestrel's request processing.
    /// Mirrors Dart's <c>listen</c>.
    /// </summary>
    /// <remarks>
    /// The response is closed when the handler's task completes (if the handler has not closed it). A handler
    /// that throws gets a 500 response if nothing was sent yet (else its connection is aborted); the error is
    /// logged and the server goes on.
    /// </remarks>
    /// <param name="handler">The request handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The server has already been listened to or enumerated.</exception>
    public void Listen(Func<HttpRequest, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Subscribe();
        _handler = handler;
        _subscribed.TrySetResult();
    }

    /// <summary>
    /// Starts the single subscription: the requests, as they arrive, until the server closes. Ending the
    /// enumeration early closes the server, as cancelling a Dart subscription does.
    /// </summary>
    /// <remarks>Close each request's response (<see cref="HttpResponse.CloseAsync"/>): its connection waits for that.</remarks>
    /// <param name="cancellationToken">Cancels the wait for the next request (and so ends the enumeration).</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The server has already been listened to or enumerated.</exception>
    public IAsyncEnumerator<HttpRequest> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        Subscribe();
        // Synchronous continuations: a request written while the loop waits runs the loop's body right there, on
        // Kestrel's request thread, as Listen does, instead of queueing it to the thread pool (a thread hop per
        // request; on one core the hop cost 1-4 us of server CPU per request). The loop also usually closes the
        // response before Kestrel's request asks to wait for it, which then costs no completion source either.
        var requests = Channel.CreateUnbounded<HttpRequest>(new UnboundedChannelOptions
        {
            SingleReader = true,
            AllowSynchronousContinuations = true,
        });
        lock (_gate)
        {
            _requests = requests;
            if (_closed)
            {
                requests.Writer.TryComplete(_fault);
            }
        }

        _subscribed.TrySetResult();
        return EnumerateAsync(requests.Reader, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>
    /// Stops the server: it accepts no more connections, its stream ends, idle connections close, and the
    /// requests in progress finish before their connections close. Idempotent. Mirrors Dart's <c>close</c>.
    /// </summary>
    /// <remarks>
    /// The task completes when the server no longer holds the port (a socket given to <see cref="ListenOn"/> is
    /// left open), as in Dart; <see cref="Done"/> completes when the last connection has closed too. With
    /// <paramref name="force"/>, the requests in progress are aborted and the task completes once they are.
    /// A forced close after a graceful one aborts what the graceful one was waiting for.
    /// </remarks>
    /// <param name="force">True to abort active connections too.</param>
    /// <returns>A task that completes when the server has stopped listening.</returns>
    public Task CloseAsync(bool force = false)
    {
        Task closing;
        Channel<HttpRequest>? ending = null;
        lock (_gate)
        {
            if (_closing is null)
            {
                _closed = true;
                ending = _requests;
                _closing = CloseCoreAsync();
            }

            closing = _closing;
        }

        // Outside the lock and after _closing is set: the channel resumes the loop inline, and its end calls CloseAsync.
        ending?.Writer.TryComplete(_fault);

        if (force)
        {
            _force.Cancel();
            return WhenForcedAsync(closing);
        }

        return closing;
    }

    /// <summary>Same as <see cref="CloseAsync"/> without force.</summary>
    /// <returns>A task that completes when the server has stopped listening.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private void Subscribe()
    {
        if (Interlocked.Exchange(ref _subscriptions, 1) != 0)
        {
            throw new InvalidOperationException(HttpMessages.AlreadySubscribed);
        }

        // A socket of our own asks continuously from now on (its enumerating mode), so that shared servers take
        // connections in strict turn even when they arrive in a burst; with only Kestrel's one pending accept,
        // a burst went to whichever server's accept loop ran first (bench case 7: 4 sharers, max/min 22).
        // A socket given to ListenOn stays the caller's: it may serve another server after this one closes.
        // Either way the accepting settings are fixed now; a conflict on a shared socket throws here.
        try
        {
            _source.Start();
        }
        catch (InvalidOperationException)
        {
            Volatile.Write(ref _subscriptions, 0);
            throw;
        }
    }
}
