using System.Net;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// The DartIo server whose connections Kestrel serves, through its public API only: a <see cref="ServerSocket"/>
/// for HTTP, a <see cref="SecureServerSocket"/> for HTTPS (its pipeline does the handshake: one TLS policy for both).
/// </summary>
/// <remarks>
/// A server the HTTP server bound itself is enumerated (it asks continuously, so shared servers take connections in
/// strict turn) and closed with it; a socket given to <see cref="HttpServer.ListenOn"/> is accepted from and left open.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "They live as long as the HTTP server; nothing to release but kernel-free objects after StopAsync.")]
internal sealed class ConnectionSource
{
    private readonly ServerSocket? _plain;
    private readonly SecureServerSocket? _secure;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _accepting = new(1, 1); // one accept at a time; stopping waits for it before ending the enumeration
    private IAsyncEnumerator<SocketConnection>? _connections;
    private Task? _stopped;

    private ConnectionSource(ServerSocket? plain, SecureServerSocket? secure, bool ownsSocket)
    {
        _plain = plain;
        _secure = secure;
        OwnsSocket = ownsSocket;
    }

    public static ConnectionSource Plain(ServerSocket socket, bool ownsSocket) => new(socket, null, ownsSocket);

    public static ConnectionSource Secure(SecureServerSocket socket) => new(null, socket, ownsSocket: true);

    public bool IsSecure => _secure is not null;

    /// <summary>True when stopping closes the socket (a bind); false for <see cref="HttpServer.ListenOn"/>.</summary>
    public bool OwnsSocket { get; }

    public InternetAddress Address => _plain?.Address ?? _secure!.Address;

    public int Port => _plain?.Port ?? _secure!.Port;

    public bool InlineCompletions
    {
        get => _plain?.InlineCompletions ?? _secure!.InlineCompletions;
        set
        {
            if (_plain is not null)
            {
                _plain.InlineCompletions = value;
            }
            else
            {
                _secure!.InlineCompletions = value;
            }
        }
    }

    public int MaxConnections
    {
        get => _plain?.MaxConnections ?? _secure!.MaxConnections;
        set
        {
            if (_plain is not null)
            {
                _plain.MaxConnections = value;
            }
            else
            {
                _secure!.MaxConnections = value;
            }
        }
    }

    public int MaxConnectionsPerAddress
    {
        get => _plain?.MaxConnectionsPerAddress ?? _secure!.MaxConnectionsPerAddress;
        set
        {
            if (_plain is not null)
            {
                _plain.MaxConnectionsPerAddress = value;
            }
            else
            {
                _secure!.MaxConnectionsPerAddress = value;
            }
        }
    }

    public ProxyProtocolMode ProxyProtocol
    {
        get => _plain?.ProxyProtocol ?? _secure!.ProxyProtocol;
        set
        {
            if (_plain is not null)
            {
                _plain.ProxyProtocol = value;
            }
            else
            {
                _secure!.ProxyProtocol = value;
            }
        }
    }

    public IList<IPNetwork> TrustedProxies => _plain?.TrustedProxies ?? _secure!.TrustedProxies;

    /// <summary>
    /// Starts the subscription of a socket of our own: from now on it asks continuously, and its settings are fixed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket's settings conflict with another server's on the shared socket.</exception>
    public void Start()
    {
        if (OwnsSocket)
        {
            _connections = _plain is not null
                ? _plain.GetAsyncEnumerator(_stopping.Token)
                : Upcast(_secure!.GetAsyncEnumerator(_stopping.Token));
        }
        else
        {
            // A socket given to ListenOn starts with its first accept: an accept that asks for nothing (its token is
            // cancelled already) fixes its settings now, so a conflict throws from Listen rather than in Kestrel's loop.
            _ = _plain!.AcceptAsync(new CancellationToken(canceled: true)).AsTask();
        }
    }

    /// <summary>The next connection, its admission stages done; null once stopping.</summary>
    /// <exception cref="NetworkException">The listening socket failed.</exception>
    public async ValueTask<SocketConnection?> AcceptAsync()
    {
        try
        {
            // Kestrel accepts again after every connection, also after stopping began; StopAsync keeps the turn
            // from then on, so waiting for it without the token would never end (and with it Kestrel's stop).
            await _accepting.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            if (_connections is { } connections)
            {
                return await connections.MoveNextAsync().ConfigureAwait(false) ? connections.Current : null;
            }

            return await _plain!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            _accepting.Release();
        }
    }

    /// <summary>Stops accepting; a socket of our own is closed (its connections not yet taken go to its sharers).</summary>
    public Task StopAsync()
    {
        lock (_stopping)
        {
            return _stopped ??= StopCoreAsync();
        }
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _accepting.WaitAsync().ConfigureAwait(false); // the accept in progress has ended; the turn is kept for good
        if (_connections is not null)
        {
            await _connections.DisposeAsync().ConfigureAwait(false); // ends the subscription, which closes the socket
        }

        if (OwnsSocket)
        {
            await (_plain?.CloseAsync() ?? _secure!.CloseAsync()).ConfigureAwait(false);
        }
    }

    private static async IAsyncEnumerator<SocketConnection> Upcast(IAsyncEnumerator<SecureSocketConnection> connections)
    {
        await using (connections.ConfigureAwait(false))
        {
            while (await connections.MoveNextAsync().ConfigureAwait(false))
            {
                yield return connections.Current;
            }
        }
    }
}
