using Microsoft.AspNetCore.Connections;

namespace DartIo.Internal.Hosting;

/// <summary>
/// What the server knows of one open connection: how many requests are in flight on it (HTTP/2 may have
/// several), and its endpoints for <see cref="HttpConnectionInfo"/>. Set as a connection feature, which
/// Kestrel's request features fall back to.
/// </summary>
internal sealed class ConnectionState(ConnectionContext connection)
{
    private int _activeRequests;
    private HttpConnectionInfo? _info;

    public bool IsActive => Volatile.Read(ref _activeRequests) > 0;

    public HttpConnectionInfo Info => _info ??= HttpConnectionInfo.From(connection.RemoteEndPoint, connection.LocalEndPoint);

    public void RequestStarted() => Interlocked.Increment(ref _activeRequests);

    public void RequestEnded() => Interlocked.Decrement(ref _activeRequests);
}
