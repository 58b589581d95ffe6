using DartIo.Internal;
using DartIo.Internal.Listening;
using DartIo.Internal.Tls;

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
/// It is a <see cref="ServerSocket"/> whose accept pipeline has a TLS stage (docs/sockets.md): it takes connections
/// from the OS only while it is asked for one (an <see cref="AcceptAsync"/> pending, or enumerating, then working at
/// most 16 connections ahead of the loop). While a caller waits, it keeps accepting as long as no handshake has
/// finished for the caller, with no cap on the handshakes in flight: a silent client holds its own connection only.
/// </para>
/// </remarks>
public sealed class SecureServerSocket : IAsyncEnumerable<SecureSocketConnection>, IAsyncDisposable
{
    private readonly ServerSocket _inner;
    private int _subscribed;

    private SecureServerSocket(ServerSocket inner) => _inner = inner;

    /// <summary>The port this server listens on. Still answers after close.</summary>
    public int Port => _inner.Port;

    /// <summary>The address this server is bound to; its <see cref="InternetAddress.Host"/> is the bind's string, if one was given.</summary>
    public InternetAddress Address => _inner.Address;

    /// <inheritdoc cref="ServerSocket.InlineCompletions"/>
    public bool InlineCompletions
    {
        get => _inner.InlineCompletions;
        set => _inner.InlineCompletions = value;
    }

    /// <inheritdoc cref="ServerSocket.MaxConnections"/>
    public int MaxConnections
    {
        get => _inner.MaxConnections;
        set => _inner.MaxConnections = value;
    }

    /// <inheritdoc cref="ServerSocket.MaxConnectionsPerAddress"/>
    public int MaxConnectionsPerAddress
    {
        get => _inner.MaxConnectionsPerAddress;
        set => _inner.MaxConnectionsPerAddress = value;
    }

    /// <inheritdoc cref="ServerSocket.ProxyProtocol"/>
    /// <remarks>The header comes before the TLS ClientHello, as HAProxy's <c>send-proxy</c> sends it.</remarks>
    public ProxyProtocolMode ProxyProtocol
    {
        get => _inner.ProxyProtocol;
        set => _inner.ProxyProtocol = value;
    }

    /// <inheritdoc cref="ServerSocket.TrustedProxies"/>
    public IList<System.Net.IPNetwork> TrustedProxies => _inner.TrustedProxies;

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
        var logger = DartIoLogging.CreateLogger(Log.TlsCategory);
        var tls = new TlsHandshake(context, requestClientCertificate, requireClientCertificate, supportedProtocols, logger);
        var inner = ServerSocket.Bind(address, port, backlog, v6Only, shared, tls, timeProvider, handshakeTimeout);
        Log.SecureBound(logger, address.Host, inner.Port, identity.Certificate.Subject,
            requireClientCertificate ? "required" : requestClientCertificate ? "requested" : "no",
            supportedProtocols is null ? "context's" : string.Join(",", supportedProtocols));
        return new SecureServerSocket(inner);
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
            supportedProtocols, shared, TimeProvider.System, Admission.DefaultTimeout);
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
        var accept = _inner.AcceptAsync(cancellationToken);
        return accept.IsCompletedSuccessfully
            ? new ValueTask<SecureSocketConnection?>((SecureSocketConnection?)accept.Result)
            : AwaitSecure(accept);
    }

    private static async ValueTask<SecureSocketConnection?> AwaitSecure(ValueTask<SocketConnection?> accept) =>
        (SecureSocketConnection?)await accept.ConfigureAwait(false);

    /// <summary>
    /// Starts the single subscription: the connections, as their handshakes finish, until the server closes. Ending the
    /// enumeration early closes the server, as cancelling a Dart subscription does.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next connection.</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The server has already been enumerated once; or another server on the shared socket has other socket-wide settings (nothing is subscribed then: correct them and enumerate again).</exception>
    public IAsyncEnumerator<SecureSocketConnection> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var connections = _inner.GetAsyncEnumerator(cancellationToken); // a settings conflict throws before the subscription is taken
        if (Interlocked.Exchange(ref _subscribed, 1) != 0)
        {
            throw new InvalidOperationException(Messages.AlreadySubscribed);
        }

        return EnumerateAsync(connections).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>
    /// Stops this server: its enumeration ends, pending <see cref="AcceptAsync"/> calls return null, handshakes in flight
    /// are abandoned and connections nobody took are closed. Idempotent; never throws for a server already closed.
    /// </summary>
    /// <remarks>Completes when this server no longer holds the port (other servers sharing it keep serving).</remarks>
    /// <returns>A task that completes when the server is closed.</returns>
    public Task CloseAsync() => _inner.CloseAsync();

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    /// <returns>A task that completes when the server is closed.</returns>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private static async IAsyncEnumerable<SecureSocketConnection> EnumerateAsync(IAsyncEnumerator<SocketConnection> connections)
    {
        await using (connections.ConfigureAwait(false))
        {
            while (await connections.MoveNextAsync().ConfigureAwait(false))
            {
                yield return (SecureSocketConnection)connections.Current;
            }
        }
    }
}
