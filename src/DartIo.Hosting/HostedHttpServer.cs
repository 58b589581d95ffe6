using System.Net;
using DartIo.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DartIo;

/// <summary>
/// An <see cref="HttpServer"/> (one per worker, sharing one socket) run by the generic host, registered by
/// <see cref="DartIoHostingServiceCollectionExtensions.AddDartIoHttpServer(IServiceCollection, string, Func{HttpRequest, Task})"/>
/// as a keyed singleton under its name. Its settings are <see cref="DartIoHttpServerOptions"/> from <c>DartIo:NAME</c>.
/// </summary>
/// <inheritdoc cref="HostedDartIoServer" path="/remarks"/>
public sealed class HostedHttpServer : HostedDartIoServer
{
    private readonly Func<HttpRequest, CancellationToken, Task> _handler;
    private HttpServer[] _servers = [];

    internal HostedHttpServer(string name, IServiceProvider services, Func<HttpRequest, CancellationToken, Task> handler)
        : base(name, services) => _handler = handler;

    /// <summary>The bound servers, one per worker (empty before the start); for settings that have no configuration key.</summary>
    public IReadOnlyList<HttpServer> Servers => Volatile.Read(ref _servers);

    private protected override string Kind => "HTTP server";

    private protected override int InProgress => Servers.Sum(s => s.ConnectionsInfo().Active);

    private protected override DartIoServerOptions ReadOptions() =>
        Services.GetRequiredService<IOptionsMonitor<DartIoHttpServerOptions>>().Get(Name);

    private protected override async Task<(InternetAddress Address, int Port, string Scheme)> BindAsync(DartIoServerOptions settings, CancellationToken cancellationToken)
    {
        var options = (DartIoHttpServerOptions)settings;
        var section = HostingConfiguration.Section(Name);
        var context = TlsContexts.Create(options.Tls, section);
        var servers = new List<HttpServer>(options.Workers);
        try
        {
            for (var i = 0; i < options.Workers; i++)
            {
                // The first worker looks the address up and may be given a port; the others share exactly its socket.
                var server = i == 0
                    ? await (context is null
                        ? HttpServer.BindAsync(options.Address, options.Port!.Value, options.Backlog, options.V6Only, options.Shared, cancellationToken)
                        : HttpServer.BindSecureAsync(options.Address, options.Port!.Value, context, options.Backlog, options.V6Only,
                            options.Tls.RequestClientCertificate, options.Shared, cancellationToken)).ConfigureAwait(false)
                    : await (context is null
                        ? HttpServer.BindAsync(servers[0].Address, servers[0].Port, options.Backlog, options.V6Only, shared: true, cancellationToken)
                        : HttpServer.BindSecureAsync(servers[0].Address, servers[0].Port, context, options.Backlog, options.V6Only,
                            options.Tls.RequestClientCertificate, shared: true, cancellationToken)).ConfigureAwait(false);
                servers.Add(server);
                Configure(server, options, section);
            }

            foreach (var server in servers)
            {
                server.Listen(request => _handler(request, Stopping));
            }
        }
        catch
        {
            await Task.WhenAll(servers.Select(s => s.CloseAsync(force: true))).ConfigureAwait(false);
            throw;
        }

        Volatile.Write(ref _servers, [.. servers]);
        return (servers[0].Address, servers[0].Port, context is null ? "http" : "https");
    }

    private protected override Task CloseGracefullyAsync() => Task.WhenAll(Servers.Select(async server =>
    {
        await server.CloseAsync().ConfigureAwait(false);
        await server.Done.ConfigureAwait(false);
    }));

    private protected override Task CloseForcedAsync() => Task.WhenAll(Servers.Select(s => s.CloseAsync(force: true)));

    /// <summary>Applies the settings to one bound server; a value the server refuses names its key.</summary>
    private static void Configure(HttpServer server, DartIoHttpServerOptions options, string section)
    {
        server.ServerHeader = options.ServerHeader;
        server.AutoCompress = options.AutoCompress;
        var proxy = section + ":Proxy";
        Set(proxy + ":Mode", () => server.ProxyProtocol = options.Proxy.Mode);
        foreach (var network in options.Proxy.TrustedProxies)
        {
            server.TrustedProxies.Add(IPNetwork.Parse(network)); // validated at start
        }

        var limits = options.Limits;
        var key = section + ":Limits:";
        Set(key + "MaxConnections", () => server.MaxConnections = limits.MaxConnections);
        Set(key + "MaxConnectionsPerAddress", () => server.MaxConnectionsPerAddress = limits.MaxConnectionsPerAddress);
        // A limit left out keeps the server's default; -1 (NoLimit) switches off the limits that can be off.
        SetIf(key + "MaxRequestBodySize", limits.MaxRequestBodySize, v => server.MaxRequestBodySize = v == HostingConfiguration.NoLimit ? null : v);
        SetIf(key + "MaxRequestHeaderCount", limits.MaxRequestHeaderCount, v => server.MaxRequestHeaderCount = v);
        SetIf(key + "MaxRequestHeadersTotalSize", limits.MaxRequestHeadersTotalSize, v => server.MaxRequestHeadersTotalSize = v);
        SetIf(key + "MaxRequestLineSize", limits.MaxRequestLineSize, v => server.MaxRequestLineSize = v);
        SetIf(key + "RequestHeadersTimeout", limits.RequestHeadersTimeout, v => server.RequestHeadersTimeout = v);
        SetIf(key + "MinRequestBodyDataRate", limits.MinRequestBodyDataRate, v => server.MinRequestBodyDataRate = v == HostingConfiguration.NoLimit ? null : v);
        SetIf(key + "MinRequestBodyDataRateGracePeriod", limits.MinRequestBodyDataRateGracePeriod, v => server.MinRequestBodyDataRateGracePeriod = v);
        SetIf(key + "MinResponseDataRate", limits.MinResponseDataRate, v => server.MinResponseDataRate = v == HostingConfiguration.NoLimit ? null : v);
        SetIf(key + "MinResponseDataRateGracePeriod", limits.MinResponseDataRateGracePeriod, v => server.MinResponseDataRateGracePeriod = v);
        SetIf(key + "IdleTimeout", limits.IdleTimeout, v => server.IdleTimeout = v < TimeSpan.Zero ? null : v);
        SetIf(key + "Http2MaxStreamsPerConnection", limits.Http2MaxStreamsPerConnection, v => server.Http2MaxStreamsPerConnection = v);
        SetIf(key + "Http2MaxFrameSize", limits.Http2MaxFrameSize, v => server.Http2MaxFrameSize = v);
        SetIf(key + "Http2MaxRequestHeaderFieldSize", limits.Http2MaxRequestHeaderFieldSize, v => server.Http2MaxRequestHeaderFieldSize = v);
        SetIf(key + "Http2InitialConnectionWindowSize", limits.Http2InitialConnectionWindowSize, v => server.Http2InitialConnectionWindowSize = v);
        SetIf(key + "Http2InitialStreamWindowSize", limits.Http2InitialStreamWindowSize, v => server.Http2InitialStreamWindowSize = v);
    }

    /// <summary>Applies a setting that was given (a null one keeps the server's default).</summary>
    private static void SetIf<T>(string key, T? value, Action<T> apply)
        where T : struct
    {
        if (value is { } given)
        {
            Set(key, () => apply(given));
        }
    }

    /// <summary>Runs one setter; the server's refusal becomes an error that names the configuration key.</summary>
    internal static void Set(string key, Action apply)
    {
        try
        {
            apply();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{key}: {ex.Message}", ex);
        }
    }
}
