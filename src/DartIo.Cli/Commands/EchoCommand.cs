using System.Collections.Concurrent;
using System.CommandLine;
using DartIo.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio echo</c>: a TCP echo server on N shared listeners, each with its own accept loop; with <c>--tls NAME</c>
/// the same over TLS, serving the certificate database entry NAME.
/// </summary>
internal sealed class EchoCommand
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private readonly ToolHost _host;
    private readonly Func<ParseResult, ListenOptions> _listen;
    private readonly Option<string> _backlog;
    private readonly Func<ParseResult, TlsOptions?> _tls;
    private readonly Func<ParseResult, AcceptOptions> _accept;

    public EchoCommand(ToolHost host)
    {
        _host = host;
        Command = new Command("echo", "A TCP echo server: every byte back on each connection, or over TLS with --tls. Prints "
            + "tcp://HOST:PORT (tls:// with --tls) first.");
        _listen = ListenOptions.Declare(Command, defaultPort: 7000, defaultWorkers: Environment.ProcessorCount,
            "Listeners sharing the port, each with its own accept loop (default: the processor count)");
        _backlog = new Option<string>("--backlog") { HelpName = "N", Description = "The listen backlog; 0 for the system's default" };
        Command.Add(_backlog);
        _tls = TlsOptions.Declare(Command, offersAlpn: true, "Request or require a client certificate");
        _accept = AcceptOptions.Declare(Command);
        Command.SetAction((parse, _) => RunAsync(parse));
    }

    /// <summary>The <c>echo</c> command, its options and its action.</summary>
    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse)
    {
        var host = _host;
        var listen = _listen(parse);
        var backlog = parse.GetInt(_backlog, 0, 0, int.MaxValue);
        var tls = _tls(parse);
        var accepting = _accept(parse);
        var (address, port, v6Only) = (listen.Address, listen.Port, listen.V6Only);
        var workers = accepting.Workers(listen.Workers);

        var logger = host.LoggerFactory.CreateLogger("dartio.echo");
        var servers = new List<IAsyncEnumerable<SocketConnection>>();
        var closers = new List<Func<Task>>();
        try
        {
            var context = tls?.CreateContext(); // the certificate is looked up before anything is bound
            async Task<int> BindOneAsync(int onPort, bool shared)
            {
                var index = servers.Count;
                if (context is null)
                {
                    var server = await ServerSocket.BindAsync(address, onPort, backlog, v6Only, shared, host.Stopping).ConfigureAwait(false);
                    accepting.ApplyTo(server, index, workers);
                    servers.Add(server);
                    closers.Add(server.CloseAsync);
                    return server.Port;
                }

                var secure = await tls!.BindAsync(address, onPort, context, backlog, v6Only, shared, host.Stopping).ConfigureAwait(false);
                accepting.ApplyTo(secure, index, workers);
                servers.Add(secure);
                closers.Add(secure.CloseAsync);
                return secure.Port;
            }

            var boundPort = await BindOneAsync(port, shared: workers > 1).ConfigureAwait(false);
            for (var i = 1; i < workers; i++)
            {
                await BindOneAsync(boundPort, shared: true).ConfigureAwait(false);
            }

            await host.Output.WriteLineAsync($"{(context is null ? "tcp" : "tls")}://{Urls.HostText(address)}:{boundPort}").ConfigureAwait(false);
            await host.Output.FlushAsync().ConfigureAwait(false);
            return await ServeAsync(servers, logger, host.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (host.Stopping.IsCancellationRequested)
        {
            return ToolHost.ExitOk;
        }
        finally
        {
            foreach (var close in closers)
            {
                await close().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one accept loop per server until Ctrl+C, then closes the servers and lets open connections finish.</summary>
    internal static async Task<int> ServeAsync(IReadOnlyList<IAsyncEnumerable<SocketConnection>> servers, ILogger logger, CancellationToken stopping)
    {
        var open = new ConcurrentDictionary<SocketConnection, Task>();
        var loops = servers.Select(server => AcceptLoopAsync(server, open, logger, stopping)).ToArray();
        await Task.WhenAll(loops).ConfigureAwait(false);

        // Stopping: the servers are closed; half-close what is still open and give it a moment to finish.
        foreach (var connection in open.Keys)
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(open.Values).WaitAsync(s_drainTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var connection in open.Keys)
            {
                connection.Destroy();
            }
        }

        return ToolHost.ExitOk;
    }

    private static async Task AcceptLoopAsync(IAsyncEnumerable<SocketConnection> server, ConcurrentDictionary<SocketConnection, Task> open,
        ILogger logger, CancellationToken stopping)
    {
        try
        {
            await foreach (var connection in server.WithCancellation(stopping).ConfigureAwait(false))
            {
                open[connection] = EchoAsync(connection, open, logger);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Ctrl+C: leaving the loop closes the server.
        }
    }

    private static async Task EchoAsync(SocketConnection connection, ConcurrentDictionary<SocketConnection, Task> open, ILogger logger)
    {
        await Task.Yield(); // let the accept loop go on at once
        try
        {
            await connection.Stream.CopyToAsync(connection.Stream).ConfigureAwait(false);
            await connection.CloseAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            CliLog.ConnectionFailed(logger, ex);
            connection.Destroy();
        }
        finally
        {
            open.TryRemove(connection, out _);
        }
    }
}
