using System.Diagnostics.CodeAnalysis;
using DartIo.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DartIo;

/// <summary>
/// Registers DartIo servers with a .NET generic host: each is a hosted service that binds when the host starts, with
/// its settings from the configuration section <c>DartIo:NAME</c>, and closes gracefully when the host stops.
/// </summary>
/// <remarks>
/// <para>
/// Each server is also a keyed singleton under its name (<see cref="HostedHttpServer"/> or
/// <see cref="HostedServerSocket"/>), to read its port after start. Its options (<see cref="DartIoHttpServerOptions"/>,
/// <see cref="DartIoServerSocketOptions"/>) are named options of that name: bound from configuration, and they may be
/// configured in code too (<c>services.Configure&lt;DartIoHttpServerOptions&gt;("web", o =&gt; o.Port = 0)</c>). They are
/// validated when the host starts; each error names its configuration key.
/// </para>
/// <para>The host's <see cref="Microsoft.Extensions.Logging.ILoggerFactory"/> is the servers' (see <see cref="HostedDartIoServer"/>).</para>
/// </remarks>
public static class DartIoHostingServiceCollectionExtensions
{
    /// <summary>Adds an HTTP server whose requests go to <paramref name="handler"/>, as <see cref="HttpServer.Listen"/>'s.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The server's name: its configuration section is <c>DartIo:NAME</c> and its service key NAME. Unique among the DartIo servers; no <c>:</c>.</param>
    /// <param name="handler">The request handler: the response is closed when its task completes.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, contains <c>:</c>, or is already a DartIo server's.</exception>
    public static IServiceCollection AddDartIoHttpServer(this IServiceCollection services, string name, Func<HttpRequest, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddServer<DartIoHttpServerOptions, HostedHttpServer>(services, name,
            provider => new HostedHttpServer(name, provider, (request, _) => handler(request)));
    }

    /// <summary>
    /// Adds an HTTP server whose requests go to a <typeparamref name="THandler"/> resolved from a new service scope per
    /// request (see <see cref="IHttpRequestHandler"/>). <typeparamref name="THandler"/> is registered as scoped unless it
    /// is already registered (register it as a singleton first to share one).
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <inheritdoc cref="AddDartIoHttpServer(IServiceCollection, string, Func{HttpRequest, Task})"/>
    public static IServiceCollection AddDartIoHttpServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name)
        where THandler : class, IHttpRequestHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<THandler>();
        return AddServer<DartIoHttpServerOptions, HostedHttpServer>(services, name,
            provider => new HostedHttpServer(name, provider, (request, cancellationToken) =>
                InScopeAsync<THandler>(provider, handler => handler.HandleAsync(request, cancellationToken))));
    }

    /// <summary>Adds a server socket whose accepted connections each go to <paramref name="handler"/>, on their own task.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The server's name: its configuration section is <c>DartIo:NAME</c> and its service key NAME. Unique among the DartIo servers; no <c>:</c>.</param>
    /// <param name="handler">
    /// The connection handler (see <see cref="ISocketConnectionHandler.HandleAsync"/> for what happens when it ends or
    /// throws); its token is cancelled when the server stops by force.
    /// </param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, contains <c>:</c>, or is already a DartIo server's.</exception>
    public static IServiceCollection AddDartIoServerSocket(this IServiceCollection services, string name,
        Func<SocketConnection, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddServer<DartIoServerSocketOptions, HostedServerSocket>(services, name,
            provider => new HostedServerSocket(name, provider, handler));
    }

    /// <summary>
    /// Adds a server socket whose connections each go to a <typeparamref name="THandler"/> resolved from a new service
    /// scope per connection (see <see cref="ISocketConnectionHandler"/>). <typeparamref name="THandler"/> is registered as
    /// scoped unless it is already registered.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <inheritdoc cref="AddDartIoServerSocket(IServiceCollection, string, Func{SocketConnection, CancellationToken, Task})"/>
    public static IServiceCollection AddDartIoServerSocket<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, string name)
        where THandler : class, ISocketConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<THandler>();
        return AddServer<DartIoServerSocketOptions, HostedServerSocket>(services, name,
            provider => new HostedServerSocket(name, provider, (connection, cancellationToken) =>
                InScopeAsync<THandler>(provider, handler => handler.HandleAsync(connection, cancellationToken))));
    }

    /// <summary>Resolves the handler from a new scope, runs it, and disposes the scope when it is done.</summary>
    private static async Task InScopeAsync<THandler>(IServiceProvider provider, Func<THandler, Task> run)
        where THandler : notnull
    {
        var scope = provider.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await run(scope.ServiceProvider.GetRequiredService<THandler>()).ConfigureAwait(false);
        }
    }

    private static IServiceCollection AddServer<TOptions, THosted>(IServiceCollection services, string name, Func<IServiceProvider, THosted> create)
        where TOptions : DartIoServerOptions
        where THosted : HostedDartIoServer
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The DartIo server name '{name}' contains ':', the configuration key separator.", nameof(name));
        }

        if (services.Any(d => d.IsKeyedService && d.ServiceKey is string key && string.Equals(key, name, StringComparison.OrdinalIgnoreCase)
            && typeof(HostedDartIoServer).IsAssignableFrom(d.ServiceType)))
        {
            throw new ArgumentException(
                $"A DartIo server named '{name}' is already registered: each server needs its own name (and configuration section {HostingConfiguration.Section(name)}).",
                nameof(name));
        }

        // Concrete types: the configuration binding source generator binds only non-generic calls.
        if (typeof(TOptions) == typeof(DartIoHttpServerOptions))
        {
            services.AddOptions<DartIoHttpServerOptions>(name).BindConfiguration(HostingConfiguration.Section(name)).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DartIoHttpServerOptions>, HostedServerOptionsValidator>());
        }
        else
        {
            services.AddOptions<DartIoServerSocketOptions>(name).BindConfiguration(HostingConfiguration.Section(name)).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DartIoServerSocketOptions>, HostedServerOptionsValidator>());
        }

        services.AddKeyedSingleton(name, (provider, _) => create(provider));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<THosted>(name));
        return services;
    }
}
