using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// Feeds Kestrel the connections of a DartIo server, after its accept pipeline (limits, PROXY header, TLS). A plain
/// connection's socket goes to Kestrel's <see cref="SocketConnectionContextFactory"/>, so that Kestrel's own socket
/// pipes do the I/O; a secure one is pumped through a <see cref="SecureConnectionContext"/>.
/// </summary>
/// <remarks>
/// Nothing is accepted until the server is subscribed to (Dart's rule): until then this listener does not
/// ask its socket for connections, so a sharer of a shared socket that only bound gets none.
/// </remarks>
internal sealed class ServerSocketListener : IConnectionListener
{
    private readonly ServerSocketEndPoint _endPoint;
    private readonly SocketConnectionContextFactory _factory;
    private readonly MemoryPool<byte> _memoryPool;
    private readonly CancellationTokenSource _unbind = new();
    private Task? _unbinding;

    public ServerSocketListener(ServerSocketEndPoint endPoint, SocketConnectionContextFactory factory, MemoryPool<byte> memoryPool)
    {
        _endPoint = endPoint;
        _factory = factory;
        _memoryPool = memoryPool;
    }

    public EndPoint EndPoint => _endPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (!_endPoint.Subscribed.IsCompleted)
            {
                await _endPoint.Subscribed.WaitAsync(_unbind.Token).ConfigureAwait(false);
            }

            var connection = await _endPoint.Source.AcceptAsync().ConfigureAwait(false);
            return connection is null ? null : Adapt(connection);
        }
        catch (OperationCanceledException) when (_unbind.IsCancellationRequested)
        {
            return null;
        }
        catch (NetworkException ex)
        {
            _endPoint.Faulted(ex);
            return null;
        }
    }

    /// <summary>Kestrel's context for a DartIo connection; the DartIo connection rides along as a feature, for the limits and the PROXY header.</summary>
    private ConnectionContext Adapt(SocketConnection connection)
    {
        if (connection is SecureSocketConnection secure)
        {
            var context = new SecureConnectionContext(secure, _memoryPool);
            context.Features.Set<SocketConnection>(connection);
            context.Start();
            return context;
        }

        var socket = connection.Socket;
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            socket.NoDelay = true; // as Kestrel's socket transport does by default
        }

        var plain = _factory.Create(socket);
        if (connection.ProxyHeader is not null)
        {
            plain.RemoteEndPoint = EndPoints.Remote(connection);
        }

        plain.Features.Set<SocketConnection>(connection);
        return plain;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        lock (_unbind)
        {
            _unbinding ??= UnbindCoreAsync();
        }

        return new ValueTask(_unbinding);
    }

    private async Task UnbindCoreAsync()
    {
        try
        {
            await _unbind.CancelAsync().ConfigureAwait(false);
            await _endPoint.Source.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _endPoint.Unbound();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        _factory.Dispose();
        _unbind.Dispose();
    }
}
