using System.Net;
using DartIo.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DartIo;

/// <summary>
/// A <see cref="ServerSocket"/> (or, with TLS, a <see cref="SecureServerSocket"/>; one per worker, sharing one socket)
/// run by the generic host, registered by
/// <see cref="DartIoHostingServiceCollectionExtensions.AddDartIoServerSocket(IServiceCollection, string, Func{SocketConnection, CancellationToken, Task})"/>
/// as a keyed singleton under its name. Each accepted connection is served by the handler on its own task. Its
/// settings are <see cref="DartIoServerSocketOptions"/> from <c>DartIo:NAME</c>.
/// </summary>
/// <inheritdoc cref="HostedDartIoServer" path="/remarks"/>
public sealed class HostedServerSocket : HostedDartIoServer
{
    private readonly Func<SocketConnection, CancellationToken, Task> _handler;
    private readonly Lock _gate = new();
    private readonly HashSet<SocketConnection> _connections = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _acceptLoops = [];
    private readonly List<Func<Task>> _closers = [];
    private bool _closing;

    internal HostedServerSocket(string name, IServiceProvider services, Func<SocketConnection, CancellationToken, Task> handler)
        : base(name, services) => _handler = handler;

    private protected override string Kind => "server socket";

    private protected override int InProgress
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    private protected override DartIoServerOptions ReadOptions() =>
        Services.GetRequiredService<IOptionsMonitor<DartIoServerSocketOptions>>().Get(Name);

    private protected override async Task<(InternetAddress Address, int Port, string Scheme)> BindAsync(DartIoServerOptions settings, CancellationToken cancellationToken)
    {
        var options = (DartIoServerSocketOptions)settings;
        var section = HostingConfiguration.Section(Name);
        var context = TlsContexts.Create(options.Tls, section);
        var protocols = options.Tls.SupportedProtocols.Count == 0 ? null : options.Tls.SupportedProtocols.ToArray();
        var accepts = new List<Func<ValueTask<SocketConnection?>>>();
        var closers = new List<Func<Task>>();
        InternetAddress? address = null;
        var port = 0;
        try
        {
            for (var i = 0; i < options.Workers; i++)
            {
                var shared = i > 0 || options.Shared;
                if (context is null)
                {
                    var socket = await (i == 0
                        ? ServerSocket.BindAsync(options.Address, options.Port!.Value, options.Backlog, options.V6Only, shared, cancellationToken)
                        : ServerSocket.BindAsync(address!, port, options.Backlog, options.V6Only, shared, cancellationToken)).ConfigureAwait(false);
                    closers.Add(socket.CloseAsync);
                    (address, port) = (socket.Address, socket.Port);
                    Configure(options, section, v => socket.ProxyProtocol = v, socket.TrustedProxies,
                        v => socket.MaxConnections = v, v => socket.MaxConnectionsPerAddress = v);
                    accepts.Add(() => socket.AcceptAsync());
                }
                else
                {
                    var socket = await (i == 0
                        ? SecureServerSocket.BindAsync(options.Address, options.Port!.Value, context, options.Backlog, options.V6Only,
                            options.Tls.RequestClientCertificate, options.Tls.RequireClientCertificate, protocols, shared, cancellationToken)
                        : SecureServerSocket.BindAsync(address!, port, context, options.Backlog, options.V6Only,
                            options.Tls.RequestClientCertificate, options.Tls.RequireClientCertificate, protocols, shared, cancellationToken)).ConfigureAwait(false);
                    closers.Add(socket.CloseAsync);
                    (address, port) = (socket.Address, socket.Port);
                    Configure(options, section, v => socket.ProxyProtocol = v, socket.TrustedProxies,
                        v => socket.MaxConnections = v, v => socket.MaxConnectionsPerAddress = v);
                    accepts.Add(async () => await socket.AcceptAsync().ConfigureAwait(false));
                }
            }
        }
        catch (Exception ex)
        {
            await Task.WhenAll(closers.Select(close => close())).ConfigureAwait(false);
            if (ex is ArgumentException { ParamName: "supportedProtocols" })
            {
                // The bind's own rule for ALPN names, reported under the key that gave them.
                throw new InvalidOperationException($"{section}:Tls:SupportedProtocols: {ex.Message}", ex);
            }

            throw;
        }

        lock (_gate)
        {
            _closers.AddRange(closers);
            foreach (var accept in accepts)
            {
                _acceptLoops.Add(AcceptLoopAsync(accept));
            }
        }

        return (address!, port, context is null ? "tcp" : "tls");
    }

    private static void Configure(DartIoServerSocketOptions options, string section, Action<ProxyProtocolMode> proxyProtocol,
        IList<IPNetwork> trustedProxies, Action<int> maxConnections, Action<int> maxConnectionsPerAddress)
    {
        HostedHttpServer.Set(section + ":Proxy:Mode", () => proxyProtocol(options.Proxy.Mode));
        foreach (var network in options.Proxy.TrustedProxies)
        {
            trustedProxies.Add(IPNetwork.Parse(network)); // validated at start
        }

        HostedHttpServer.Set(section + ":Limits:MaxConnections", () => maxConnections(options.Limits.MaxConnections));
        HostedHttpServer.Set(section + ":Limits:MaxConnectionsPerAddress", () => maxConnectionsPerAddress(options.Limits.MaxConnectionsPerAddress));
    }

    private async Task AcceptLoopAsync(Func<ValueTask<SocketConnection?>> accept)
    {
        await Task.Yield(); // the start returns at once
        try
        {
            while (await accept().ConfigureAwait(false) is { } connection)
            {
                lock (_gate)
                {
                    _connections.Add(connection);
                }

                _ = ServeAsync(connection); // never faults: ServeAsync logs what its handler throws
            }
        }
        catch (NetworkException ex)
        {
            HostingLog.AcceptFailed(Logger, Name, ex);
        }
    }

    private async Task ServeAsync(SocketConnection connection)
    {
        await Task.Yield(); // off the accept loop
        try
        {
            await _handler(connection, Stopping).ConfigureAwait(false);
            await connection.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            HostingLog.SocketHandlerConnectionFailed(Logger, Name, Remote(connection), ex.Message);
            connection.Destroy();
        }
#pragma warning disable CA1031 // A handler's failure is logged and ends its connection only: the server goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            HostingLog.SocketHandlerFailed(Logger, Name, Remote(connection), ex);
            connection.Destroy();
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(connection);
                if (_closing && _connections.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }
    }

    private static string Remote(SocketConnection connection) => $"{connection.RemoteAddress.Address}:{connection.RemotePort}";

    private protected override async Task CloseGracefullyAsync()
    {
        Func<Task>[] closers;
        Task[] loops;
        lock (_gate)
        {
            closers = [.. _closers];
            loops = [.. _acceptLoops];
        }

        await Task.WhenAll(closers.Select(close => close())).ConfigureAwait(false);
        await Task.WhenAll(loops).ConfigureAwait(false); // no connection is added after this
        lock (_gate)
        {
            _closing = true;
            if (_connections.Count == 0)
            {
                _drained.TrySetResult();
            }
        }

        await _drained.Task.ConfigureAwait(false);
    }

    private protected override Task CloseForcedAsync()
    {
        SocketConnection[] live;
        lock (_gate)
        {
            live = [.. _connections];
        }

        foreach (var connection in live)
        {
            connection.Destroy();
        }

        return _drained.Task;
    }
}
