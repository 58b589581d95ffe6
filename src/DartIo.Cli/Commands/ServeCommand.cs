using System.CommandLine;
using System.Globalization;
using DartIo.Cli.Hosting;
using DartIo.Cli.Serving;

namespace DartIo.Cli.Commands;

/// <summary>
/// <c>dartio serve [DIR]</c>: a static file server on N shared <see cref="HttpServer"/>s. Prints where it listens on
/// stdout (the URL last on the first line), logs every request on stderr, and on Ctrl+C stops accepting, lets the
/// requests in flight finish and exits 0.
/// </summary>
internal sealed class ServeCommand
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(10);

    private readonly ToolHost _host;
    private readonly Argument<string> _folder;
    private readonly Func<ParseResult, ListenOptions> _listen;
    private readonly Func<ParseResult, TlsOptions?> _tls;
    private readonly Func<ParseResult, AcceptOptions> _accept;
    private readonly Option<bool> _gzip = new("--gzip") { Description = "Compress text, JSON, XML, SVG and wasm on the fly, with brotli or gzip as the client prefers (precompressed .br/.gz siblings are served whenever present)" };
    private readonly Option<bool> _noListing = new("--no-listing") { Description = "Answer 403 for folders without index.html instead of listing them" };

    private readonly Option<bool> _dotfiles = new("--dotfiles")
    {
        Description = "Serve and list names starting with '.' (by default they are hidden: 404; /.well-known is served)",
    };

    private readonly Option<string> _cors = new("--cors")
    {
        HelpName = "ORIGIN",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = result => result.Tokens.Count == 0 ? AnyOrigin : result.Tokens[0].Value,
        Description = "Send Access-Control-Allow-Origin: ORIGIN (such as https://example.com), or * without one (give DIR first then)",
    };

    private readonly Option<string[]> _headers = new("--header")
    {
        HelpName = "'Name: value'",
        Description = "Send this header with every response (repeatable)",
    };

    private readonly Option<string> _cacheControl = new("--cache-control")
    {
        HelpName = "VALUE",
        Description = "Send Cache-Control: VALUE with files and listings",
    };

    private readonly Option<string> _maxAge = new("--max-age")
    {
        HelpName = "SECONDS",
        Description = "Send Cache-Control: public, max-age=SECONDS (instead of --cache-control)",
    };

    private readonly Option<string> _spa = new("--spa")
    {
        HelpName = "FILE",
        Description = "Answer unknown paths without an extension with FILE (relative to DIR), for single-page apps",
    };

    private readonly Option<bool> _open = new("--open") { Description = "Open the URL in the browser ($BROWSER, else xdg-open or open)" };
    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "No access log (the addresses are still printed)" };

    private readonly Option<string> _logFormat = new("--log-format")
    {
        HelpName = "combined|json",
        Description = "The access log's format: Combined Log Format with the duration, or one JSON object per line",
        DefaultValueFactory = _ => "combined",
    };

    private const string AnyOrigin = "*";

    public ServeCommand(ToolHost host)
    {
        _host = host;
        Command = new Command("serve", "A static file server: the files under DIR over HTTP/1.1, and HTTP/2 with --tls. Prints "
            + "'listening on URL' first, then the URLs to use when bound to every interface (0.0.0.0 or ::), then what it serves.");
        _folder = new Argument<string>("DIR") { Arity = ArgumentArity.ZeroOrOne, Description = "The folder to serve (default: the current folder)" };
        Command.Add(_folder);
        _listen = ListenOptions.Declare(Command, defaultPort: 8080, defaultWorkers: 1,
            "Servers sharing the port (default: 1; one already answers on every core)");
        _tls = TlsOptions.Declare(Command, offersAlpn: false, "Request or require a client certificate (require: 403 without one)");
        _accept = AcceptOptions.Declare(Command);
        _logFormat.CompletionSources.Add("combined", "json");
        foreach (var option in (Option[])[_gzip, _noListing, _dotfiles, _cors, _headers, _cacheControl, _maxAge, _spa, _open, _quiet, _logFormat])
        {
            Command.Add(option);
        }

        Command.SetAction((parse, _) => RunAsync(parse));
    }

    /// <summary>The <c>serve</c> command, its options and its action.</summary>
    public Command Command { get; }

    /// <summary>What a parse of the command asks for, checked, before anything is looked up or bound.</summary>
    /// <param name="Settings">What the file handler reads.</param>
    /// <param name="Listen">Where to listen.</param>
    /// <param name="Tls">The TLS options; null for plain HTTP.</param>
    /// <param name="Accept">The accepting options.</param>
    /// <param name="Open">Whether to open the browser on the URL.</param>
    internal sealed record Request(ServeSettings Settings, ListenOptions Listen, TlsOptions? Tls, AcceptOptions Accept, bool Open);

    /// <summary>Reads and checks the options of a parse of this command.</summary>
    /// <exception cref="UsageException">A value is not one its option takes (the message says which and why).</exception>
    internal Request Read(ParseResult parse)
    {
        var listen = _listen(parse);
        var tls = _tls(parse);
        var accept = _accept(parse);
        if (tls?.Protocols is not null)
        {
            throw new UsageException("--alpn is not an option of serve: it offers h2 and http/1.1 itself");
        }

        var folder = parse.GetValue(_folder) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new UsageException($"'{folder}' is not a folder");
        }

        var dotfiles = parse.GetValue(_dotfiles);
        var settings = new ServeSettings
        {
            Root = folder,
            Listing = !parse.GetValue(_noListing),
            Compress = parse.GetValue(_gzip),
            Dotfiles = dotfiles,
            RequireClientCertificate = tls?.RequireClientCertificate ?? false,
            CorsOrigin = parse.GetValue(_cors) is { } origin ? CorsOrigin(origin) : null,
            Headers = (parse.GetValue(_headers) ?? []).Select(ResponseHeader).ToArray(),
            CacheControl = CacheControl(parse),
            SpaFallback = parse.GetValue(_spa) is { } spa ? SpaFallback(folder, spa, dotfiles) : null,
            AccessLog = !parse.GetValue(_quiet),
            LogFormat = parse.GetChoice(_logFormat, AccessLogFormat.Combined, ("combined", AccessLogFormat.Combined), ("json", AccessLogFormat.Json)),
        };
        return new Request(settings, listen, tls, accept, parse.GetValue(_open));
    }

    private async Task<int> RunAsync(ParseResult parse)
    {
        var (settings, listen, tls, accepting, open) = Read(parse);
        var host = _host;
        var workers = accepting.Workers(listen.Workers);
        var context = tls?.CreateContext(); // the certificate is looked up before anything is bound
        var log = settings.AccessLog ? new AccessLog(Console.Error) : null;
        StaticFileHandler handler;
        try
        {
            handler = new StaticFileHandler(settings, log);
        }
        catch (ArgumentException ex)
        {
            // What the options above let through but a response cannot carry: one line, exit 2.
            if (log is not null)
            {
                await log.DisposeAsync().ConfigureAwait(false);
            }

            throw new UsageException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal));
        }

        var servers = new List<HttpServer>();
        var browser = Task.CompletedTask;
        try
        {
            var requestCertificate = tls?.RequestClientCertificate ?? false;
            for (var i = 0; i < workers; i++)
            {
                var bindPort = i == 0 ? listen.Port : servers[0].Port;
                var shared = workers > 1;
                servers.Add(context is null
                    ? await HttpServer.BindAsync(listen.Address, bindPort, v6Only: listen.V6Only, shared: shared, cancellationToken: host.Stopping)
                        .ConfigureAwait(false)
                    : await HttpServer.BindSecureAsync(listen.Address, bindPort, context, v6Only: listen.V6Only, requestClientCertificate: requestCertificate,
                        shared: shared, cancellationToken: host.Stopping).ConfigureAwait(false));
            }

            var scheme = context is null ? "http" : "https";
            var urls = Urls.ToUse(scheme, listen.Address, servers[0].Port, listen.V6Only);
            await host.Output.WriteLineAsync($"listening on {Urls.Of(scheme, listen.Address, servers[0].Port)}").ConfigureAwait(false);
            if (Urls.IsEveryInterface(listen.Address))
            {
                foreach (var url in urls)
                {
                    await host.Output.WriteLineAsync($"  {url}").ConfigureAwait(false);
                }
            }

            await host.Output.WriteLineAsync(Summary(settings.Root, servers.Count, tls)).ConfigureAwait(false);
            await host.Output.FlushAsync().ConfigureAwait(false);
            for (var i = 0; i < servers.Count; i++)
            {
                var server = servers[i];
                accepting.ApplyTo(server, i, servers.Count);
                server.Listen(handler.HandleAsync);
            }

            if (open)
            {
                browser = Browser.OpenAsync(urls[0], host.Error, host.Stopping);
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
            await browser.ConfigureAwait(false); // it never throws, and it stops waiting on Ctrl+C
            if (log is not null)
            {
                await log.DisposeAsync().ConfigureAwait(false); // after the last request has been logged
            }
        }

        return ToolHost.ExitOk;
    }

    /// <summary>The startup output's last line: <c>serving /srv/site: 1 worker, plain HTTP</c>.</summary>
    internal static string Summary(string folder, int workers, TlsOptions? tls) =>
        string.Create(CultureInfo.InvariantCulture, $"serving {Path.GetFullPath(folder)}: {workers} worker{(workers == 1 ? "" : "s")}, ")
        + (tls is null ? "plain HTTP" : $"TLS certificate '{tls.CertificateName}'");

    /// <summary>
    /// An origin as browsers send it (<c>https://example.com:8443</c>), <c>*</c>, or <c>null</c>. A host name that is
    /// not ASCII is written as its IDNA form (<c>https://bücher.example</c> is <c>https://xn--bcher-kva.example</c>),
    /// which is what the <c>Origin</c> header holds and all that a header value can carry.
    /// </summary>
    private static string CorsOrigin(string value)
    {
        if (value is AnyOrigin or "null")
        {
            return value;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0
            && uri.PathAndQuery == "/" && uri.Fragment.Length == 0 && !value.EndsWith('?') && !value.EndsWith('#'))
        {
            // Lower-case scheme and host, no default port: what the Origin header holds.
            return uri.HostNameType == UriHostNameType.Dns
                ? string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme}://{uri.IdnHost}{(uri.IsDefaultPort ? "" : $":{uri.Port}")}")
                : uri.GetLeftPart(UriPartial.Authority);
        }

        throw new UsageException($"--cors takes an origin such as https://example.com, or no value for any origin, not '{value}' "
            + "(to serve a folder with a bare --cors, give the folder first)");
    }

    /// <summary>One <c>--header 'Name: value'</c>: a token name and a value of printable ASCII.</summary>
    private static KeyValuePair<string, string> ResponseHeader(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new UsageException($"--header takes 'Name: value', not '{text}'");
        }

        var name = text[..colon];
        var value = text[(colon + 1)..].Trim(' ', '\t');
        if (!name.All(IsTokenChar))
        {
            throw new UsageException($"--header: '{name}' is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)");
        }

        CheckHeaderValue("--header", value);
        return new(name, value);
    }

    /// <summary>The <c>Cache-Control</c> value of <c>--cache-control</c> or <c>--max-age</c>; null for neither.</summary>
    private string? CacheControl(ParseResult parse)
    {
        var value = parse.GetValue(_cacheControl);
        var hasMaxAge = parse.GetValue(_maxAge) is not null;
        if (value is not null && hasMaxAge)
        {
            throw new UsageException("--cache-control and --max-age both set Cache-Control: give one");
        }

        if (hasMaxAge)
        {
            return string.Create(CultureInfo.InvariantCulture, $"public, max-age={parse.GetInt(_maxAge, 0, 0, int.MaxValue)}");
        }

        if (value is not null)
        {
            CheckHeaderValue("--cache-control", value);
        }

        return value;
    }

    /// <summary>The <c>--spa</c> file relative to the folder (with '/'); it must be a file the server would serve.</summary>
    private static string SpaFallback(string folder, string file, bool dotfiles)
    {
        var root = Path.GetFullPath(folder);
        var relative = Path.GetRelativePath(root, Path.GetFullPath(file, root));
        var served = relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? null
            : new SafePaths(root, dotfiles).Resolve("/" + relative.Replace(Path.DirectorySeparatorChar, '/'));
        if (served is null || !File.Exists(served))
        {
            throw new UsageException($"--spa: '{file}' is not a file under '{folder}' that the server would serve");
        }

        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static void CheckHeaderValue(string option, string value)
    {
        if (!value.All(c => c is '\t' or (>= ' ' and <= '~')))
        {
            throw new UsageException($"{option}: a header value is printable ASCII without CR or LF, not '{value.ReplaceLineEndings(" ")}'");
        }
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

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
