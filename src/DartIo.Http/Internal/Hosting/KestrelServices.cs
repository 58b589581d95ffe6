using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Hosting;

/// <summary>
/// The services Kestrel's HTTPS middleware resolves from <c>KestrelServerOptions.ApplicationServices</c>
/// (its metrics, its logger factory). They come from a web host that is built once per process and never
/// started; each server sees them with its own logger factory.
/// </summary>
internal sealed class KestrelServices(IServiceProvider shared, ILoggerFactory loggerFactory) : IServiceProvider
{
    private static readonly Lazy<IServiceProvider> s_shared = new(Build);

    public static IServiceProvider For(ILoggerFactory loggerFactory) => new KestrelServices(s_shared.Value, loggerFactory);

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
