using System.Collections.Concurrent;
using DartIo.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio echo</c>: a TCP echo server on N shared listeners, each with its own accept loop; with <c>--tls NAME</c>
/// the same over TLS, serving the certificate database entry NAME.
/// </summary>
internal static class EchoCommand
{
    public const string Usage = """
        usage: dartio echo [--address A] [--port N] [--backlog N] [--v6-only] [--workers N]
                           [--tls NAME [--db DIR] [--client-cert request|require] [--alpn P1,P2]]
                           [--proxy-protocol required|optional [--trusted-proxy CIDR]...]
                           [--max-connections N] [--max-connections-per-address N]

        Echoes every byte back on each connection, over TCP, or TLS with --tls.
          --address A      the address or host name to bind (default: localhost)
          --port N         the port; 0 picks a free one (default: 7000)
          --backlog N      the listen backlog; 0 for the system's default
          --v6-only        with an IPv6 address, accept IPv6 only
          --workers N      listeners sharing the port, each with its own accept loop (default: the processor count)
          --tls NAME       TLS with the certificate database entry NAME (a nickname or distinguished name)
          --db DIR         the certificate database folder (default: $DARTIO_CERTDB, else ~/.local/share/dartio/certdb)
          --client-cert    request or require a client certificate
          --alpn P1,P2     the ALPN protocols to offer, most preferred first
        """ + AcceptOptions.Usage;

    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args, ToolHost host)
    {
        var reader = new ArgumentReader(args, "--v6-only");
        var address = reader.Option("--address", "localhost");
        var port = reader.Int("--port", 7000, 0, 65535);
        var backlog = reader.Int("--backlog", 0, 0, int.MaxValue);
        var v6Only = reader.Flag("--v6-only");
        var requestedWorkers = reader.Int("--workers", Environment.ProcessorCount, 1, 1024);
        var tls = TlsOptions.Read(reader);
        var accepting = AcceptOptions.Read(reader);
        var workers = accepting.Workers(requestedWorkers);
        reader.Finish();

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

            await Console.Out.WriteLineAsync($"{(context is null ? "tcp" : "tls")}://{Urls.HostText(address)}:{boundPort}").ConfigureAwait(false);
            await Console.Out.FlushAsync().ConfigureAwait(false);
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
