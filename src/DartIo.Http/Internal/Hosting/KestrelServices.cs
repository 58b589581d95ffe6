using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// The services Kestrel's HTTPS middleware resolves from <c>KestrelServerOptions.ApplicationServices</c>
/// (its metrics, its logger factory), and the memory pools of its socket transport. They come from a web host that is built once per process and never
/// started; each server sees them with its own logger factory.
/// </summary>
internal sealed class KestrelServices(IServiceProvider shared, ILoggerFactory loggerFactory) : IServiceProvider
{
    private static readonly Lazy<IServiceProvider> s_shared = new(Build);

    public static KestrelServices For(ILoggerFactory loggerFactory) => new KestrelServices(s_shared.Value, loggerFactory);

    /// <summary>Kestrel's pinned-block memory pools, the ones its own socket transport uses.</summary>
    public IMemoryPoolFactory<byte>? MemoryPools => shared.GetService(typeof(IMemoryPoolFactory<byte>)) as IMemoryPoolFactory<byte>;

    public object? GetService(Type serviceType) =>
        serviceType == typeof(ILoggerFactory) ? loggerFactory : shared.GetService(serviceType);

    private static IServiceProvider Build()
    {
        var host = new HostBuilder()
            .ConfigureWebHost(web => web.UseKestrelCore().Configure(_ => { }))
            .Build();
        return host.Services;
    }
}
