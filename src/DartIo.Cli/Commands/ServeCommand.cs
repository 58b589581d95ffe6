using DartIo.Cli.Hosting;
using DartIo.Cli.Serving;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio serve [DIR]</c>: a static file server on N shared <see cref="HttpServer"/>s. Prints its URL first on
/// stdout, logs every request on stderr, and on Ctrl+C stops accepting, lets the requests in flight finish and exits 0.
/// </summary>
internal static class ServeCommand
{
    public const string Usage = """
        usage: dartio serve [DIR] [--address A] [--port N] [--v6-only] [--workers N]
                            [--tls NAME [--db DIR] [--client-cert request|require]] [--gzip] [--no-listing] [--dotfiles]
                            [--proxy-protocol required|optional [--trusted-proxy CIDR]...]
                            [--max-connections N] [--max-connections-per-address N]

        Serves the files under DIR (default: the current folder) over HTTP/1.1, and HTTP/2 with --tls.
          --address A      the address or host name to bind (default: localhost)
          --port N         the port; 0 picks a free one (default: 8080)
          --v6-only        with an IPv6 address, accept IPv6 only
          --workers N      servers sharing the port (default: the processor count)
          --tls NAME       HTTPS with the certificate database entry NAME (a nickname or distinguished name)
          --db DIR         the certificate database folder (default: $DARTIO_CERTDB, else ~/.local/share/dartio/certdb)
          --client-cert    request or require a client certificate (require: 403 without one)
          --gzip           send text, JSON, XML, SVG and wasm gzipped to clients that accept it
          --no-listing     answer 403 for folders without index.html instead of listing them
          --dotfiles       serve and list names starting with '.' (by default they are hidden: 404; /.well-known is served)
        """ + AcceptOptions.Usage;

    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args, ToolHost host)
    {
        var reader = new ArgumentReader(args, "--v6-only", "--gzip", "--no-listing", "--dotfiles");
        var address = reader.Option("--address", "localhost");
        var port = reader.Int("--port", 8080, 0, 65535);
        var v6Only = reader.Flag("--v6-only");
        var requestedWorkers = reader.Int("--workers", Environment.ProcessorCount, 1, 1024);
        var tls = TlsOptions.Read(reader);
        var accepting = AcceptOptions.Read(reader);
        var workers = accepting.Workers(requestedWorkers);
        var gzip = reader.Flag("--gzip");
        var listing = !reader.Flag("--no-listing");
        var dotfiles = reader.Flag("--dotfiles");
        var folder = reader.Positional() ?? ".";
        reader.Finish();

        if (tls?.Protocols is not null)
        {
            throw new UsageException("--alpn is not an option of serve: it offers h2 and http/1.1 itself");
        }

        if (!Directory.Exists(folder))
        {
            throw new UsageException($"'{folder}' is not a folder");
        }

        var context = tls?.CreateContext(); // the certificate is looked up before anything is bound
        var log = new AccessLog(Console.Error);
        var settings = new ServeSettings
        {
            Root = folder,
            Listing = listing,
            Compress = gzip,
            Dotfiles = dotfiles,
            RequireClientCertificate = tls?.RequireClientCertificate ?? false,
        };
        var handler = new StaticFileHandler(settings, log);
        var servers = new List<HttpServer>();
        try
        {
            var requestCertificate = tls?.RequestClientCertificate ?? false;
            for (var i = 0; i < workers; i++)
            {
                var bindPort = i == 0 ? port : servers[0].Port;
                var shared = workers > 1;
                servers.Add(context is null
                    ? await HttpServer.BindAsync(address, bindPort, v6Only: v6Only, shared: shared, cancellationToken: host.Stopping).ConfigureAwait(false)
                    : await HttpServer.BindSecureAsync(address, bindPort, context, v6Only: v6Only, requestClientCertificate: requestCertificate,
                        shared: shared, cancellationToken: host.Stopping).ConfigureAwait(false));
            }

            await Console.Out.WriteLineAsync($"{(context is null ? "http" : "https")}://{Urls.HostText(address)}:{servers[0].Port}/").ConfigureAwait(false);
            await Console.Out.FlushAsync().ConfigureAwait(false);
            for (var i = 0; i < servers.Count; i++)
            {
                var server = servers[i];
                server.AutoCompress = gzip;
                accepting.ApplyTo(server, i, servers.Count);
                server.Listen(handler.HandleAsync);
            }

            await Task.Delay(Timeout.Infinite, host.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (host.Stopping.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: fall through to the graceful close.
        }
        finally
        {
            await StopAsync(servers).ConfigureAwait(false);
            await log.DisposeAsync().ConfigureAwait(false); // after the last request has been logged
        }

        return ToolHost.ExitOk;
    }

    /// <summary>Stops accepting, waits for the requests in flight, and aborts what is still running after a while.</summary>
    private static async Task StopAsync(List<HttpServer> servers)
    {
        foreach (var server in servers)
        {
            await server.CloseAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(servers.Select(s => s.Done)).WaitAsync(s_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await Task.WhenAll(servers.Select(s => s.CloseAsync(force: true))).ConfigureAwait(false);
        }
    }
}
