using DartIo.Http.Internal;
using DartIo.Http.Internal.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DartIo;

/// <content>Kestrel hosting: one <c>KestrelServer</c> per HTTP server, fed by the DartIo server's accept pipeline; connection tracking, start and stop.</content>
public sealed partial class HttpServer
{
    private HttpServer(ConnectionSource source)
    {
        _source = source;
        _secure = source.IsSecure;
        _metricTags = RequestTelemetry.ServerTags(source.Address, source.Port);
        var loggerFactory = DartIoLogging.CurrentLoggerFactory; // a UseLoggerFactory scope around the bind, else the static one
        _logger = loggerFactory.CreateLogger(HttpLog.Category);
        var kestrelLogs = new KestrelLoggerFactory(loggerFactory); // what a client makes Kestrel say is Debug (SPEC 12)

        var defaults = new HeaderDictionary
        {
            [HeaderNames.ContentType] = Charsets.DefaultContentType,
            [HeaderNames.XFrameOptions] = "SAMEORIGIN",
            [HeaderNames.XContentTypeOptions] = "nosniff",
            [HeaderNames.XXSSProtection] = "1; mode=block",
        };
        _defaultResponseHeaders = HttpHeaders.ForDefaults(defaults);

        var services = KestrelServices.For(kestrelLogs);
        _options = new KestrelServerOptions
        {
            AddServerHeader = false,
            ApplicationServices = services,
            AllowHostHeaderOverride = true, // RFC 9112 §3.2.2: an absolute-form target's authority wins over Host (SPEC 12)
        };
        _options.Limits.KeepAliveTimeout = KeepAliveFor(s_defaultIdleTimeout);
        _options.Limits.MinResponseDataRate = MinDataRateFor(DefaultMinResponseDataRate, s_defaultRateGracePeriod);
        var endPoint = new ServerSocketEndPoint(source)
        {
            Subscribed = _subscribed.Task,
            Unbound = () => _unbound.TrySetResult(),
            Faulted = OnListenerFaulted,
        };
        _options.Listen(endPoint, listen =>
        {
            listen.Use(TrackConnections);
            if (_secure)
            {
                UseOwnTls(listen);
            }
        });

        _kestrel = new KestrelServer(Options.Create(_options), new ServerSocketListenerFactory(kestrelLogs, services.MemoryPools), kestrelLogs);
        _started = _kestrel.StartAsync(new HttpApplication(this), CancellationToken.None);
    }

    private ConnectionDelegate TrackConnections(ConnectionDelegate next) => async connection =>
    {
        var state = new ConnectionState(connection);
        connection.Features.Set(state);
        connection.Features.Set<IConnectionLifetimeNotificationFeature>(state); // Kestrel's close requests pass through it
        lock (_gate)
        {
            _connections.Add(state);
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(state);
            }

            // Kestrel's disposal sends what is left and closes the socket (it runs again after us, harmlessly); then the
            // DartIo connection gives its place in the limits back. Destroy, not DisposeAsync: Kestrel read the socket,
            // so the DartIo stream never saw its end, and closing only its sending side would hold the place for good.
            await connection.DisposeAsync().ConfigureAwait(false);
            state.Socket.Destroy();
            state.Dispose();
        }
    };

    private void OnListenerFaulted(NetworkException fault)
    {
        HttpLog.ListenerFaulted(_logger, _source.Address.Host, _source.Port, fault);
        lock (_gate)
        {
            _fault = fault;
        }

        _ = CloseAsync(); // ends the stream with the fault; the close itself cannot fail
    }

    private async Task CloseCoreAsync()
    {
        try
        {
            await _started.ConfigureAwait(false);
        }
        catch (Exception) when (_started.IsFaulted)
        {
            _allClosed.TrySetResult(); // Kestrel never started: the bind that failed has closed the socket
            return;
        }

        // Unbinding comes first in Kestrel's stop; the rest of it (waiting for the connections) runs on, and ends Done.
        var stopping = StopKestrelAsync();
        await Task.WhenAny(_unbound.Task, stopping).ConfigureAwait(false);
        HttpLog.Closed(_logger, _source.Address.Host, _source.Port, _force.IsCancellationRequested);
    }

    private async Task StopKestrelAsync()
    {
        try
        {
            await _kestrel.StopAsync(_force.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HttpLog.StopFailed(_logger, _source.Address.Host, _source.Port, ex);
        }
        finally
        {
            _kestrel.Dispose();
            Sessions.Close(); // after the last request: the sessions end with the server, and their timer
            _allClosed.TrySetResult();
        }
    }

    private async Task WhenForcedAsync(Task closing)
    {
        await closing.ConfigureAwait(false);
        await Done.ConfigureAwait(false);
    }

    /// <summary>
    /// Kestrel closes an idle connection at its first heartbeat after the keep-alive timeout plus one heartbeat
    /// interval; taking that interval off puts the close between one idle timeout and one timeout plus a second.
    /// </summary>
    private static TimeSpan KeepAliveFor(TimeSpan? idleTimeout) => idleTimeout switch
    {
        null => Timeout.InfiniteTimeSpan,
        { } timeout when timeout > s_kestrelTick => timeout - s_kestrelTick,
        _ => TimeSpan.FromMilliseconds(1),
    };

    private static MinDataRate? MinDataRateFor(int? bytesPerSecond, TimeSpan gracePeriod) =>
        bytesPerSecond is { } rate ? new MinDataRate(rate, gracePeriod) : null;

    private void LogBound() => HttpLog.Bound(_logger, _secure ? "https" : "http", _source.Address.Host, _source.Port);

    /// <summary>Starts Kestrel on a DartIo server that is already bound; on failure the server is closed.</summary>
    private static async Task<HttpServer> StartAsync(ConnectionSource source)
    {
        HttpServer server;
        try
        {
            server = new HttpServer(source);
            await server._started.ConfigureAwait(false);
        }
        catch
        {
            await source.StopAsync().ConfigureAwait(false);
            throw;
        }

        server.LogBound();
        return server;
    }

    private static async Task<HttpServer> BindCoreAsync(Task<ServerSocket> binding)
    {
        var socket = await binding.ConfigureAwait(false);
        return await StartAsync(ConnectionSource.Plain(socket, ownsSocket: true)).ConfigureAwait(false);
    }
}
