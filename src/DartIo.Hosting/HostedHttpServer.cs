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
        if (limits.MaxRequestBodySize is { } body)
        {
            Set(key + "MaxRequestBodySize", () => server.MaxRequestBodySize = body == HostingConfiguration.NoLimit ? null : body);
        }

        if (limits.MaxRequestHeaderCount is { } headerCount)
        {
            Set(key + "MaxRequestHeaderCount", () => server.MaxRequestHeaderCount = headerCount);
        }

        if (limits.MaxRequestHeadersTotalSize is { } headersSize)
        {
            Set(key + "MaxRequestHeadersTotalSize", () => server.MaxRequestHeadersTotalSize = headersSize);
        }

        if (limits.MaxRequestLineSize is { } lineSize)
        {
            Set(key + "MaxRequestLineSize", () => server.MaxRequestLineSize = lineSize);
        }

        if (limits.RequestHeadersTimeout is { } headersTimeout)
        {
            Set(key + "RequestHeadersTimeout", () => server.RequestHeadersTimeout = headersTimeout);
        }

        if (limits.MinRequestBodyDataRate is { } bodyRate)
        {
            Set(key + "MinRequestBodyDataRate", () => server.MinRequestBodyDataRate = bodyRate == HostingConfiguration.NoLimit ? null : bodyRate);
        }

        if (limits.MinRequestBodyDataRateGracePeriod is { } bodyGrace)
        {
            Set(key + "MinRequestBodyDataRateGracePeriod", () => server.MinRequestBodyDataRateGracePeriod = bodyGrace);
        }

        if (limits.MinResponseDataRate is { } responseRate)
        {
            Set(key + "MinResponseDataRate", () => server.MinResponseDataRate = responseRate == HostingConfiguration.NoLimit ? null : responseRate);
        }

        if (limits.MinResponseDataRateGracePeriod is { } responseGrace)
        {
            Set(key + "MinResponseDataRateGracePeriod", () => server.MinResponseDataRateGracePeriod = responseGrace);
        }

        if (limits.IdleTimeout is { } idle)
        {
            Set(key + "IdleTimeout", () => server.IdleTimeout = idle < TimeSpan.Zero ? null : idle);
        }

        if (limits.Http2MaxStreamsPerConnection is { } streams)
        {
            Set(key + "Http2MaxStreamsPerConnection", () => server.Http2MaxStreamsPerConnection = streams);
        }

        if (limits.Http2MaxFrameSize is { } frame)
        {
            Set(key + "Http2MaxFrameSize", () => server.Http2MaxFrameSize = frame);
        }

        if (limits.Http2MaxRequestHeaderFieldSize is { } field)
        {
            Set(key + "Http2MaxRequestHeaderFieldSize", () => server.Http2MaxRequestHeaderFieldSize = field);
        }

        if (limits.Http2InitialConnectionWindowSize is { } connectionWindow)
        {
            Set(key + "Http2InitialConnectionWindowSize", () => server.Http2InitialConnectionWindowSize = connectionWindow);
        }

        if (limits.Http2InitialStreamWindowSize is { } streamWindow)
        {
            Set(key + "Http2InitialStreamWindowSize", () => server.Http2InitialStreamWindowSize = streamWindow);
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
