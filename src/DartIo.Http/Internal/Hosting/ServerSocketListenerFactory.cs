using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Hosting;

/// <summary>
/// Kestrel's transport for DartIo: instead of binding, it listens on the <see cref="ServerSocket"/> that the
/// endpoint carries, so every bind rule of DartIo (shared, v6Only, port 0) holds for HTTP too.
/// </summary>
internal sealed class ServerSocketListenerFactory(ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is ServerSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not ServerSocketEndPoint socketEndPoint)
        {
            throw new NotSupportedException($"DartIo's HTTP transport listens only on DartIo server sockets, not on {endpoint}.");
        }

        // The same defaults as Kestrel's own socket transport: tuned pipes, IO queues, buffer limits.
        var factory = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(),
            loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return new ValueTask<IConnectionListener>(new ServerSocketListener(socketEndPoint, factory));
    }
}
