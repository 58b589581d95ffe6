using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// Kestrel's transport for DartIo: instead of binding, it listens on the <see cref="ServerSocket"/> that the
/// endpoint carries, so every bind rule of DartIo (shared, v6Only, port 0) holds for HTTP too.
/// </summary>
/// <param name="loggerFactory">Where the socket transport logs.</param>
/// <param name="memoryPools">Kestrel's pinned-block memory pools, as its own socket transport gets them from its host.</param>
internal sealed class ServerSocketListenerFactory(ILoggerFactory loggerFactory, IMemoryPoolFactory<byte>? memoryPools)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is ServerSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not ServerSocketEndPoint socketEndPoint)
        {
            throw new NotSupportedException($"DartIo's HTTP transport listens only on DartIo server sockets, not on {endpoint}.");
        }

        // The same defaults as Kestrel's own socket transport: tuned pipes, IO queues, buffer limits, and its memory pools.
        var options = new SocketConnectionFactoryOptions();
        UsePinnedPools(options, memoryPools);
        var factory = new SocketConnectionContextFactory(options, loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        var pool = memoryPools?.Create() ?? MemoryPool<byte>.Shared; // the secure connections' pipes, like Kestrel's own
        return new ValueTask<IConnectionListener>(new ServerSocketListener(socketEndPoint, factory, pool));
    }

    /// <summary>
    /// The public constructor of <see cref="SocketConnectionFactoryOptions"/> leaves the pipes on
    /// <c>MemoryPool&lt;byte&gt;.Shared</c> (array-pool buffers, pinned per socket operation); Kestrel's own transport
    /// sets the pinned-block pools through an internal setter. Measured: the shared pool cost a good part of the
    /// throughput of a plaintext hello. If a later Kestrel renames the setter, the shared pool is used.
    /// </summary>
    private static void UsePinnedPools(SocketConnectionFactoryOptions options, IMemoryPoolFactory<byte>? memoryPools)
    {
        if (memoryPools is null)
        {
            return;
        }

        try
        {
            SetMemoryPoolFactory(options, memoryPools);
        }
        catch (MissingMethodException)
        {
            // Not this Kestrel: keep its default pool.
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MemoryPoolFactory")]
    private static extern void SetMemoryPoolFactory(SocketConnectionFactoryOptions options, IMemoryPoolFactory<byte> value);
}
