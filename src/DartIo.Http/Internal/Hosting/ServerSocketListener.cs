using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace DartIo.Internal.Hosting;

/// <summary>
/// Feeds Kestrel the connections of a DartIo <see cref="ServerSocket"/>, each wrapped by Kestrel's
/// <see cref="SocketConnectionContextFactory"/> so that Kestrel's own socket pipes do the I/O.
/// </summary>
/// <remarks>
/// Nothing is accepted until the server is subscribed to (Dart's rule): until then this listener does not
/// ask its socket for connections, so a sharer of a shared socket that only bound gets none.
/// </remarks>
internal sealed class ServerSocketListener : IConnectionListener
{
    private readonly ServerSocketEndPoint _endPoint;
    private readonly SocketConnectionContextFactory _factory;
    private readonly CancellationTokenSource _unbind = new();
    private Task? _unbinding;

    public ServerSocketListener(ServerSocketEndPoint endPoint, SocketConnectionContextFactory factory)
    {
        _endPoint = endPoint;
        _factory = factory;
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

            var socket = await _endPoint.Socket.AcceptSocketAsync(_unbind.Token).ConfigureAwait(false);
            if (socket is null)
            {
                return null;
            }

            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                socket.NoDelay = true; // as Kestrel's socket transport does by default
            }

            _endPoint.Socket.Prepare(socket);

            return _factory.Create(socket);
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
            if (_endPoint.OwnsSocket)
            {
                await _endPoint.Socket.CloseAsync().ConfigureAwait(false);
            }
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
