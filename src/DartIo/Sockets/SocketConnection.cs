using System.Net;
using System.Net.Sockets;
using DartIo.Internal;
using DartIo.Internal.Listening;

namespace DartIo;

/// <summary>
/// A TCP or Unix-domain connection: accepted by a <see cref="ServerSocket"/> or opened with <see cref="ConnectAsync(string, int, InternetAddress?, int, TimeSpan?, CancellationToken)"/>.
/// Mirrors Dart's <c>Socket</c>.
/// </summary>
/// <remarks>
/// The bytes flow both ways through <see cref="Stream"/>. <see cref="CloseAsync"/> closes only the sending side
/// (the peer reads end-of-stream and may still send); <see cref="Destroy"/> closes both at once. <see cref="Done"/>
/// completes when both directions are closed: the sending side by <see cref="CloseAsync"/>, the receiving side
/// when a read of <see cref="Stream"/> reaches end-of-stream.
/// </remarks>
public class SocketConnection : IAsyncDisposable
{
    private readonly ConnectionStream _transport;
    private readonly EndPoint? _localEndPoint;
    private readonly EndPoint? _remoteEndPoint;
    private readonly Lock _gate = new();
    private InternetAddress? _address;
    private InternetAddress? _remoteAddress;
    private Task? _closing;

    /// <summary>True for a connection taken over from a server (see the protected constructor): its stream's owner closes the transport.</summary>
    private readonly bool _takenOver;

    internal SocketConnection(Socket socket)
        : this(new ConnectionStream(socket), stream: null, accepted: null)
    {
    }

    /// <summary>A connection a server accepted: it holds its place in the server's limits until it is released.</summary>
    internal SocketConnection(AcceptedConnection accepted)
        : this(new ConnectionStream(accepted.Socket, accepted), stream: null, accepted)
    {
    }

    /// <summary>For connections whose <see cref="Stream"/> is layered over the transport (TLS).</summary>
    private protected SocketConnection(ConnectionStream transport, Stream? stream, AcceptedConnection? accepted)
    {
        _transport = transport;
        _localEndPoint = transport.Socket.LocalEndPoint;
        _remoteEndPoint = accepted is null ? transport.Socket.RemoteEndPoint : accepted.RemoteEndPoint;
        ProxyHeader = accepted?.ProxyHeader;
        Stream = stream ?? transport;
    }

    /// <summary>
    /// Makes a connection of the bytes that now flow through <paramref name="stream"/>, over the transport of a
    /// connection that a server served and has handed over: DartIo's <c>HttpResponse.DetachSocketAsync</c> makes one of
    /// the connection after its 101 response, with Kestrel's upgraded stream. For servers built on DartIo that do the same.
    /// </summary>
    /// <remarks>
    /// <see cref="Socket"/>, the endpoints, <see cref="ProxyHeader"/> and <see cref="Done"/> are those of
    /// <paramref name="connection"/>; <see cref="Stream"/> is <paramref name="stream"/>, and over TLS carries what
    /// <paramref name="stream"/> carries (decrypted bytes) while <see cref="Socket"/> carries the TLS records.
    /// <see cref="CloseAsync"/> flushes and disposes <paramref name="stream"/>, whose owner then closes the connection
    /// both ways (no half-close: the server that pumps the stream ends the connection); <see cref="Destroy"/> closes the
    /// socket at once. <see cref="Done"/> completes when the owner has closed the connection.
    /// </remarks>
    /// <param name="connection">The connection the server accepted; it must no longer be read or written directly.</param>
    /// <param name="stream">The stream the connection's bytes now flow through; disposing it hands the connection back to be closed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="connection"/> or <paramref name="stream"/> is null.</exception>
    protected SocketConnection(SocketConnection connection, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(stream);
        _transport = connection._transport;
        _localEndPoint = connection._localEndPoint;
        _remoteEndPoint = connection._remoteEndPoint;
        ProxyHeader = connection.ProxyHeader;
        Stream = stream;
        _takenOver = true;
    }

    /// <summary>The local port; 0 for a Unix-domain connection.</summary>
    public int Port => (_localEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>
    /// The PROXY protocol header the connection began with (SPEC 8), with its TLVs; null when none was read. With one,
    /// <see cref="RemoteAddress"/> and <see cref="RemotePort"/> are its source, the client behind the proxy.
    /// </summary>
    public ProxyHeader? ProxyHeader { get; }

    /// <summary>The peer's port; 0 for a Unix-domain connection. Behind a PROXY header, the client's port it names.</summary>
    public int RemotePort => (_remoteEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>The local address. An IPv4 peer of a dual-stack IPv6 server shows as <c>::ffff:a.b.c.d</c> on both ends' server side.</summary>
    public InternetAddress Address => _address ??= InternetAddress.FromEndPoint(_localEndPoint);

    /// <summary>
    /// The peer's address; an IPv4 client of a dual-stack IPv6 server shows as <c>::ffff:a.b.c.d</c>. Behind a PROXY
    /// header, the client's address it names (a LOCAL or UNKNOWN header keeps the real peer).
    /// </summary>
    public InternetAddress RemoteAddress => _remoteAddress ??= InternetAddress.FromEndPoint(_remoteEndPoint);

    /// <summary>The bytes, both ways. For a secure connection, the decrypted bytes of its TLS stream.</summary>
    public Stream Stream { get; }

    /// <summary>Completes when the connection is closed both ways and its socket released.</summary>
    public Task Done => _transport.Done;

    /// <summary>
    /// The OS socket, for code that does its own I/O on the connection: a server that feeds another server from a
    /// DartIo socket (DartIo's HttpServer hands it to Kestrel's socket transport; gRPC or YARP can do the same).
    /// </summary>
    /// <remarks>
    /// The connection still owns the socket: read and write either through the socket or through <see cref="Stream"/>,
    /// never both, and when done call <see cref="Destroy"/> (even if the socket was closed directly): that gives its
    /// place in the server's <c>MaxConnections</c>, <c>MaxConnectionsPerAddress</c> and the process's descriptor budget
    /// back. (<see cref="DisposeAsync"/> only half-closes, and waits for the peer's end on <see cref="Stream"/>.)
    /// On a secure connection the socket carries TLS records: use <see cref="Stream"/>.
    /// </remarks>
    public Socket Socket => _transport.Socket;

    /// <summary>The transport stream under <see cref="Stream"/>.</summary>
    private protected ConnectionStream Transport => _transport;

    /// <summary>
    /// Opens a connection to a host name or numeric address. Mirrors Dart's <c>Socket.connect</c>.
    /// </summary>
    /// <remarks>
    /// A host name is looked up and each result is tried in the resolver's order until one connects.
    /// The task completes when the connection is established.
    /// </remarks>
    /// <param name="host">A host name or numeric address text.</param>
    /// <param name="port">The peer's port, 0-65535.</param>
    /// <param name="sourceAddress">The local address to connect from; null lets the OS choose.</param>
    /// <param name="sourcePort">The local port to connect from, 0-65535; 0 lets the OS choose.</param>
    /// <param name="timeout">How long the whole connect (lookup included) may take; null waits as long as the OS does.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 0-65535 or <paramref name="timeout"/> is not positive.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup failed, or no address could be connected (refused, unreachable, timed out), naming the host and port with the OS error.</exception>
    public static Task<SocketConnection> ConnectAsync(string host, int port, InternetAddress? sourceAddress = null,
        int sourcePort = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ConnectArguments.Validate(port, sourcePort, timeout);
        return ConnectCoreAsync(host, null, port, sourceAddress, sourcePort, timeout, cancellationToken);
    }

    /// <summary>Opens a connection to an address. Mirrors Dart's <c>Socket.connect</c> with an <c>InternetAddress</c>.</summary>
    /// <remarks>A <see cref="InternetAddressType.Unix"/> address connects to a Unix-domain socket (the port is ignored).</remarks>
    /// <inheritdoc cref="ConnectAsync(string, int, InternetAddress?, int, TimeSpan?, CancellationToken)"/>
    public static Task<SocketConnection> ConnectAsync(InternetAddress host, int port, InternetAddress? sourceAddress = null,
        int sourcePort = 0, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ConnectArguments.Validate(port, sourcePort, timeout);
        return ConnectCoreAsync(host.Host, host, port, sourceAddress, sourcePort, timeout, cancellationToken);
    }

    private static async Task<SocketConnection> ConnectCoreAsync(string host, InternetAddress? address, int port,
        InternetAddress? sourceAddress, int sourcePort, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var socket = await ConnectSocketAsync(host, address, port, sourceAddress, sourcePort, timeout, cancellationToken).ConfigureAwait(false);
        return new SocketConnection(socket);
    }

    /// <summary>Connects a raw socket: the lookup, each result in turn, the timeout and the error text.</summary>
    internal static async Task<Socket> ConnectSocketAsync(string host, InternetAddress? address, int port,
        InternetAddress? sourceAddress, int sourcePort, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var timer = timeout is null ? null : new CancellationTokenSource(timeout.Value);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer?.Token ?? CancellationToken.None);
        InternetAddress? tried = address;
        try
        {
            var candidates = address is not null
                ? [address]
                : await InternetAddress.LookupAsync(host, InternetAddressType.Any, linked.Token).ConfigureAwait(false);

            SocketException? lastError = null;
            foreach (var candidate in candidates)
            {
                tried = candidate;
                var socket = candidate.Type == InternetAddressType.Unix
                    ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                    : new Socket(candidate.Type == InternetAddressType.IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
                        SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    if (sourceAddress is not null)
                    {
                        socket.Bind(sourceAddress.ToEndPoint(sourcePort));
                    }

                    await socket.ConnectAsync(candidate.ToEndPoint(port), linked.Token).ConfigureAwait(false);
                    return socket;
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    lastError = ex;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            var osError = OSErrors.FromSocketException(lastError!);
            throw new NetworkException(osError.Message, osError, tried?.WithHost(host), port, lastError);
        }
        catch (OperationCanceledException) when (timer is not null && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new NetworkException(Messages.ConnectionTimedOut, new OSError(Messages.ConnectionTimedOut, OSErrors.TimedOut),
                tried?.WithHost(host) ?? InternetAddress.TryParse(host), port);
        }
    }

    /// <summary>Sets a socket option. Mirrors Dart's <c>Socket.setOption</c>.</summary>
    /// <param name="option">The option.</param>
    /// <param name="enabled">Its new state.</param>
    /// <returns>True when the option was set; false where it does not apply (a Unix-domain connection) or the connection is closed.</returns>
    public bool SetOption(SocketOption option, bool enabled)
    {
        var socket = _transport.Socket;
        if (option != SocketOption.TcpNoDelay || socket.ProtocolType != ProtocolType.Tcp)
        {
            return false;
        }

        try
        {
            socket.NoDelay = enabled;
            return true;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Sets a socket option by its OS numbers (<c>setsockopt</c>). Mirrors Dart's <c>Socket.setRawOption</c>.</summary>
    /// <param name="option">The level, the option and its value's bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="option"/> is null.</exception>
    /// <exception cref="NetworkException">The OS refused it (the message names the level and option, the OS error is inside).</exception>
    /// <exception cref="ObjectDisposedException">The connection is destroyed.</exception>
    public void SetRawOption(RawSocketOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        try
        {
            _transport.Socket.SetRawSocketOption(option.Level, option.Option, option.ValueSpan);
        }
        catch (SocketException ex)
        {
            throw RawOptionFailed("setRawOption", option, ex);
        }
    }

    /// <summary>
    /// Reads a socket option by its OS numbers (<c>getsockopt</c>). Mirrors Dart's <c>Socket.getRawOption</c>.
    /// </summary>
    /// <param name="option">The level and the option; the length of its value sizes the buffer read into.</param>
    /// <returns>The bytes the OS wrote (as many as it reports, at most the value's length).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="option"/> is null.</exception>
    /// <exception cref="NetworkException">The OS refused it (the message names the level and option, the OS error is inside).</exception>
    /// <exception cref="ObjectDisposedException">The connection is destroyed.</exception>
    public byte[] GetRawOption(RawSocketOption option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var buffer = new byte[option.Length];
        try
        {
            var written = _transport.Socket.GetRawSocketOption(option.Level, option.Option, buffer);
            return written == buffer.Length ? buffer : buffer[..written];
        }
        catch (SocketException ex)
        {
            throw RawOptionFailed("getRawOption", option, ex);
        }
    }

    private NetworkException RawOptionFailed(string operation, RawSocketOption option, SocketException ex) =>
        new(Messages.RawOptionFailed(operation, option.Level, option.Option), new OSError(ex.Message, ex.ErrorCode), RemoteAddress, RemotePort, ex);

    /// <summary>
    /// Flushes what was written and closes the sending side: the peer reads end-of-stream and may still send.
    /// Mirrors Dart's <c>Socket.close</c>. Idempotent.
    /// </summary>
    /// <remarks>
    /// The task completes when the sending side is closed. <see cref="Done"/> completes once the receiving side has
    /// closed too (a read of <see cref="Stream"/> reached end-of-stream); at once if it already had.
    /// </remarks>
    /// <returns>A task that completes when the sending side is closed.</returns>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            return _closing ??= CloseCoreAsync();
        }
    }

    /// <summary>Ends the sending direction: flushes <see cref="Stream"/> (a TLS stream sends close_notify here), then sends FIN.</summary>
    private protected virtual async Task CloseCoreAsync()
    {
        try
        {
            await Stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The peer is gone; there is nothing left to deliver.
        }

        if (_takenOver)
        {
            await Stream.DisposeAsync().ConfigureAwait(false); // its owner closes the connection
            return;
        }

        _transport.ShutdownSend();
    }

    /// <summary>Closes both directions now, without flushing. Mirrors Dart's <c>Socket.destroy</c>.</summary>
    public void Destroy() => _transport.Destroy();

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    /// <returns>A task that completes when the sending side is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
