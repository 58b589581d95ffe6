using DartIo.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <summary>
/// A DartIo server run by the .NET generic host: it binds when the host starts, with its settings from the
/// configuration section <c>DartIo:NAME</c>, and closes gracefully when the host stops. The base of
/// <see cref="HostedHttpServer"/> and <see cref="HostedServerSocket"/>; resolve one by its name
/// (<c>GetRequiredKeyedService&lt;HostedHttpServer&gt;("web")</c>) to read the port it was given.
/// </summary>
/// <remarks>
/// <para>
/// Logging: the server is bound inside <see cref="DartIoLogging.UseLoggerFactory"/> with the host's
/// <see cref="ILoggerFactory"/>, so it and its connections log through the host's logging for their whole life;
/// <see cref="DartIoLogging.LoggerFactory"/> stays the fallback of servers bound outside a host (and of this one when
/// the host has no logging).
/// </para>
/// <para>
/// Stop: the server stops accepting, idle connections close, and what is in progress (requests, connection handlers)
/// may finish; when <see cref="DartIoServerOptions.ShutdownTimeout"/> passes or the host's shutdown token fires first,
/// what is still in progress is aborted: the handlers' cancellation token is cancelled and their connections closed.
/// The stop then waits one more second for the handlers to end; a handler that ignores both its token and its
/// closed connection is left running (logged at Warning) so that it cannot hold the host's stop forever.
/// Time is read from the <see cref="TimeProvider"/> in the services, else the system's.
/// </para>
/// </remarks>
public abstract class HostedDartIoServer : IHostedService, IAsyncDisposable
{
    /// <summary>How long a forced stop waits for the aborted handlers to end before it completes without them.</summary>
    private static readonly TimeSpan s_abandonAfter = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ILoggerFactory? _loggerFactory;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ServerState _state;
    private Task? _start;
    private Task? _stop;
    private InternetAddress? _address;
    private int _port;
    private TimeSpan _shutdownTimeout;

    private protected HostedDartIoServer(string name, IServiceProvider services)
    {
        Name = name;
        Services = services;
        _loggerFactory = services.GetService<ILoggerFactory>();
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        Logger = (_loggerFactory ?? DartIoLogging.LoggerFactory).CreateLogger(HostingLog.Category);
    }

    /// <summary>Where a hosted server is in its life.</summary>
    private enum ServerState
    {
        Created,
        Starting,
        Started,
        Stopped,
    }

    /// <summary>The server's name: its service key and its configuration section <c>DartIo:NAME</c>.</summary>
    public string Name { get; }

    /// <summary>The port the server is bound to (the real one when the configuration said 0).</summary>
    /// <exception cref="InvalidOperationException">The server has not started (or its start failed).</exception>
    public int Port => Bound().Port;

    /// <summary>The address the server is bound to.</summary>
    /// <exception cref="InvalidOperationException">The server has not started (or its start failed).</exception>
    public InternetAddress Address => Bound().Address;

    /// <summary>The application's services.</summary>
    private protected IServiceProvider Services { get; }

    /// <summary>The hosting log (category <c>DartIo.Hosting</c>).</summary>
    private protected ILogger Logger { get; }

    /// <summary>Cancelled when the stop turns forced.</summary>
    private protected CancellationToken Stopping => _stopping.Token;

    /// <summary>What is in progress now (active connections or connection handlers), for the stop's log line.</summary>
    private protected abstract int InProgress { get; }

    /// <summary>
    /// Binds the server: reads and checks its options (validation errors name the configuration keys), binds every
    /// worker with the host's logger factory, and starts serving. Called by the host.
    /// </summary>
    /// <remarks>
    /// When the task completes the server is listening and <see cref="Port"/> and <see cref="Address"/> are known.
    /// A failed start leaves nothing bound.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the bind (the host's startup token).</param>
    /// <returns>A task that completes when the server is listening.</returns>
    /// <exception cref="InvalidOperationException">Started twice, or a setting was rejected (the message names its key).</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    /// <exception cref="NetworkException">The bind failed.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state != ServerState.Created)
            {
                throw new InvalidOperationException($"The DartIo server '{Name}' has already been started.");
            }

            _state = ServerState.Starting;
            _start = StartCoreAsync(cancellationToken);
            return _start;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var options = ReadOptions();
        _shutdownTimeout = options.ShutdownTimeout;
        (InternetAddress Address, int Port, string Scheme) bound;
        // The servers take their loggers at bind time: the host's factory for this flow only (the static one elsewhere).
        using (_loggerFactory is null ? null : DartIoLogging.UseLoggerFactory(_loggerFactory))
        {
            bound = await BindAsync(options, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _address = bound.Address;
            _port = bound.Port;
            _state = ServerState.Started;
        }

        HostingLog.Listening(Logger, Kind, Name, bound.Scheme, bound.Address.Address, bound.Port, options.Workers);
    }

    /// <summary>
    /// Stops the server gracefully: it accepts no more connections and waits for what is in progress, up to
    /// <see cref="DartIoServerOptions.ShutdownTimeout"/> or until <paramref name="cancellationToken"/> fires, then
    /// aborts what is left. Idempotent; called by the host.
    /// </summary>
    /// <remarks>The task completes when the server has closed and every connection it served is closed (or aborted).</remarks>
    /// <param name="cancellationToken">The host's shutdown token: when it fires, the stop turns forced.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_state == ServerState.Starting)
            {
                return StopAfterStartAsync(_start!, cancellationToken); // a stop during the start: the bind is not left behind
            }

            if (_state != ServerState.Started)
            {
                return _stop ?? Task.CompletedTask;
            }

            _state = ServerState.Stopped;
            _stop = StopCoreAsync(cancellationToken);
            return _stop;
        }
    }

    private async Task StopAfterStartAsync(Task start, CancellationToken cancellationToken)
    {
        try
        {
            await start.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return; // the start failed and left nothing bound; its caller has its exception
        }

        await StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // out of the lock
        HostingLog.Stopping(Logger, Name, _shutdownTimeout, InProgress);
        var graceful = CloseGracefullyAsync();
        string reason;
        try
        {
            await graceful.WaitAsync(_shutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
            HostingLog.Stopped(Logger, Name);
            return;
        }
        catch (TimeoutException)
        {
            reason = $"its shutdown timeout ({_shutdownTimeout})";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = "the host's shutdown token fired";
        }

        HostingLog.ForcedStop(Logger, Name, reason);
        var forced = CloseForcedAsync(); // the connections are aborted first, then the handlers are told to give up
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            // A handler that ignores both its token and its aborted connection would hold the host's stop forever:
            // like Kestrel after its abort, wait a moment for the handlers, then leave the rest running.
            await Task.WhenAll(forced, graceful).WaitAsync(s_abandonAfter, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            HostingLog.HandlersAbandoned(Logger, Name, InProgress, s_abandonAfter);
        }
    }

    /// <summary>Stops the server at once if it is still running (aborting what is in progress), as a host that is disposed without a stop needs.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>"HTTP server" or "server socket", for the log.</summary>
    private protected abstract string Kind { get; }

    /// <summary>Reads the options of <see cref="Name"/> (validated by the options system).</summary>
    private protected abstract DartIoServerOptions ReadOptions();

    /// <summary>Binds every worker, configures and starts them; on failure closes what was bound.</summary>
    private protected abstract Task<(InternetAddress Address, int Port, string Scheme)> BindAsync(DartIoServerOptions options, CancellationToken cancellationToken);

    /// <summary>Stops accepting; completes when what was in progress has finished.</summary>
    private protected abstract Task CloseGracefullyAsync();

    /// <summary>Aborts what is in progress; completes when it has ended.</summary>
    private protected abstract Task CloseForcedAsync();

    private (InternetAddress Address, int Port) Bound()
    {
        lock (_gate)
        {
            return _address is null
                ? throw new InvalidOperationException($"The DartIo server '{Name}' is not bound: the host has not started it, or its start failed.")
                : (_address, _port);
        }
    }
}
