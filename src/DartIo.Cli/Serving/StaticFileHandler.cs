using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace DartIo.Cli.Serving;

/// <summary>
/// <c>dartio serve</c>'s request handler: files with their content types, validators (<c>ETag</c>,
/// <c>Last-Modified</c>) and conditional requests, single byte ranges, precompressed and compressed representations,
/// folder listings, CORS, and a fallback page for single-page apps; never anything outside the served folder nor,
/// unless asked, hidden files. Everything it does is decided by its <see cref="ServeSettings"/>.
/// </summary>
/// <remarks>
/// The stages of a request, one file each: this one (the common headers, the method, the path, the folder or the
/// file), <c>StaticFileHandler.Files.cs</c> (the representation and its body), <c>StaticFileHandler.Preconditions.cs</c>
/// (validators and ranges), <c>StaticFileHandler.Listing.cs</c> (reading a folder; <see cref="ListingPage"/> draws it).
/// docs/serve.md tells the whole story.
/// </remarks>
internal sealed partial class StaticFileHandler
{
    private const string IndexFile = "index.html";
    private const string WellKnownPrefix = "/.well-known/";

    /// <summary>How long a browser may keep a CORS preflight's answer: Chromium's ceiling (Firefox allows a day).</summary>
    private const int PreflightMaxAgeSeconds = 7200;

    /// <summary>
    /// The headers a <see cref="ServeSettings.Headers"/> entry may not name, because each response sets its own: the
    /// framing (<c>Content-Length</c>, <c>Transfer-Encoding</c>), the connection's (<c>Connection</c> and the other
    /// hop-by-hop fields, which HTTP/2 forbids), and what the body is (<c>Content-Encoding</c>, <c>Content-Range</c>).
    /// Set on every response, they made Kestrel fail each request (<c>Content-Length: abc</c>: a 500), or described a
    /// body that is not the one sent (<c>Transfer-Encoding: chunked</c> over a plain body; <c>Content-Encoding: gzip</c>
    /// over text), which a client reads as garbage.
    /// </summary>
    private static readonly HashSet<string> s_perMessageHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade",
        "Content-Encoding", "Content-Range",
    };

    private readonly SafePaths _paths;
    private readonly AccessLog? _log;

    /// <param name="settings">What the command line asked for.</param>
    /// <param name="log">Where each request is logged, if anywhere; <see cref="ServeSettings.AccessLog"/> false logs nothing.</param>
    /// <exception cref="ArgumentException">
    /// A header of <see cref="ServeSettings.Headers"/> or the <see cref="ServeSettings.CorsOrigin"/> could not be sent
    /// (a name that is no token, a value with a control or non-ASCII character), or a header names what each response
    /// sets for itself (<c>Content-Length</c>, <c>Transfer-Encoding</c>, <c>Connection</c>, <c>Content-Encoding</c>, ...):
    /// said now, not as a 500 or a garbled body on every request.
    /// </exception>
    public StaticFileHandler(ServeSettings settings, AccessLog? log)
    {
        foreach (var (name, value) in settings.Headers)
        {
            if (!IsToken(name) || !IsFieldValue(value))
            {
                throw new ArgumentException($"'{name}: {value}' cannot be sent as a header (a name is letters, digits and !#$%&'*+-.^_`|~; a value printable ASCII)", nameof(settings));
            }

            if (s_perMessageHeaders.Contains(name))
            {
                throw new ArgumentException($"'{name}: {value}' cannot be sent with every response: the server sets {name} for each one itself", nameof(settings));
            }
        }

        if (settings.CorsOrigin is { } origin && (origin.Length == 0 || !IsFieldValue(origin)))
        {
            throw new ArgumentException($"'{origin}' cannot be sent as Access-Control-Allow-Origin", nameof(settings));
        }

        Settings = settings;
        _paths = new SafePaths(settings.Root, settings.Dotfiles);
        _log = settings.AccessLog ? log : null;
    }

    /// <summary>What the command line asked for.</summary>
    public ServeSettings Settings { get; }

    /// <summary>The served folder's real path.</summary>
    public string Root => _paths.Root;

    public async Task HandleAsync(HttpRequest request)
    {
        var started = DateTimeOffset.UtcNow;
        var startedTicks = Stopwatch.GetTimestamp();
        var response = request.Response;
        var sent = new SentBytes();
        try
        {
            AddCommonHeaders(response.Headers);
            sent.Count = await ServeAsync(request, response, sent).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Gone since it was looked at, or not readable by this process: found out before anything was written.
            sent.Count = ex is UnauthorizedAccessException
                ? await PlainAsync(response, HttpStatusCode.Forbidden, "Not readable.").ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }
        finally
        {
            _log?.Add(request, response.StatusCode, sent.Count, started, Stopwatch.GetElapsedTime(startedTicks), Settings.LogFormat);
        }
    }

    private async Task<long> ServeAsync(HttpRequest request, HttpResponse response, SentBytes sent)
    {
        if (request.Method == "OPTIONS" && Settings.CorsOrigin is not null)
        {
            // Before the certificate check: a browser sends a preflight without credentials, and it reveals nothing.
            return Options(request, response);
        }

        if (Settings.RequireClientCertificate && request.Certificate is null)
        {
            return await PlainAsync(response, HttpStatusCode.Forbidden, "A client certificate is required.").ConfigureAwait(false);
        }

        var head = request.Method == "HEAD";
        if (!head && request.Method != "GET")
        {
            response.Headers.Set("Allow", Settings.CorsOrigin is null ? "GET, HEAD" : "GET, HEAD, OPTIONS");
            return await PlainAsync(response, HttpStatusCode.MethodNotAllowed, "Only GET and HEAD are served.").ConfigureAwait(false);
        }

        var requestPath = request.Path; // decoded, without dot segments, whatever the form of the target
        var path = _paths.Resolve(requestPath);
        if (path is null)
        {
            if (SpaFallback(requestPath) is { } fallback)
            {
                return await FileAsync(request, response, new FileInfo(fallback.Real), fallback.RequestPath, head, sent).ConfigureAwait(false);
            }

            return await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }

        if (Directory.Exists(path))
        {
            if (!requestPath.EndsWith('/'))
            {
                response.ContentLength = 0; // said, so that a server's AutoCompress leaves the empty body alone
                await response.RedirectAsync(FolderLocation(requestPath, request.Uri.OriginalString), 301).ConfigureAwait(false);
                return 0;
            }

            var index = Path.Join(path, IndexFile);
            if (File.Exists(index) && _paths.Resolve(requestPath + IndexFile) is { } safeIndex)
            {
                return await FileAsync(request, response, new FileInfo(safeIndex), requestPath + IndexFile, head, sent).ConfigureAwait(false);
            }

            return Settings.Listing
                ? await ListingAsync(request, response, path, requestPath, head).ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.Forbidden, "Folder listings are off.").ConfigureAwait(false);
        }

        if (requestPath.EndsWith('/'))
        {
            return await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false); // a file is no folder
        }

        return await FileAsync(request, response, new FileInfo(path), requestPath, head, sent).ConfigureAwait(false);
    }

    /// <summary>
    /// The page a single-page app answers for a path it routes itself (<see cref="ServeSettings.SpaFallback"/>): its real
    /// path and its request path, or null when there is none, or the path is not a route: its last segment has an
    /// extension (a missing <c>app.js</c> stays a 404), a segment is hidden, or it lies under <c>/.well-known/</c> (a
    /// missing ACME token must be a 404, not a page).
    /// </summary>
    private (string Real, string RequestPath)? SpaFallback(string requestPath)
    {
        if (Settings.SpaFallback is not { } fallback || requestPath.StartsWith(WellKnownPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var segments = requestPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if ((segments.Length > 0 && Path.GetExtension(segments[^1]).Length > 0)
            || segments.Index().Any(segment => _paths.IsHidden(segment.Item, atRoot: segment.Index == 0)))
        {
            return null;
        }

        var fallbackPath = "/" + fallback.Replace('\\', '/').TrimStart('/');
        return _paths.Resolve(fallbackPath) is { } real && File.Exists(real) ? (real, fallbackPath) : null;
    }

    /// <summary>
    /// The headers of every response, whatever comes of it: <c>--header</c>'s (the first of a name replaces the server's
    /// default of that name, the next are added to it) and <c>Access-Control-Allow-Origin</c>.
    /// </summary>
    private void AddCommonHeaders(HttpHeaders headers)
    {
        HashSet<string>? named = null;
        foreach (var (name, value) in Settings.Headers)
        {
            if ((named ??= new(StringComparer.OrdinalIgnoreCase)).Add(name))
            {
                headers.Set(name, value);
            }
            else
            {
                headers.Add(name, value);
            }
        }

        if (Settings.CorsOrigin is { } origin)
        {
            headers.Set("Access-Control-Allow-Origin", origin);
            if (origin != "*")
            {
                AddVary(headers, "Origin"); // the answer names one origin: a cache must not hand it to another
            }
        }
    }

    /// <summary>
    /// OPTIONS with <c>--cors</c>: a CORS preflight (<c>Origin</c> and <c>Access-Control-Request-Method</c>) is allowed GET,
    /// HEAD and OPTIONS and the request headers it names, for <see cref="PreflightMaxAgeSeconds"/>; any other OPTIONS is
    /// told the methods. Both 204. (Without <c>--cors</c>, OPTIONS is a 405 like any other method.)
    /// </summary>
    private static long Options(HttpRequest request, HttpResponse response)
    {
        var headers = response.Headers;
        headers.RemoveAll("Content-Type");
        response.StatusCode = (int)HttpStatusCode.NoContent;
        if (request.Headers["Origin"] is null || request.Headers["Access-Control-Request-Method"] is null)
        {
            headers.Set("Allow", "GET, HEAD, OPTIONS");
            return 0;
        }

        headers.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        if (request.Headers["Access-Control-Request-Headers"] is { } requested && string.Join(", ", requested) is var names && IsTokenList(names))
        {
            headers.Set("Access-Control-Allow-Headers", names);
        }

        headers.Set("Access-Control-Max-Age", PreflightMaxAgeSeconds.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Whether a header value is a comma-separated list of field names (RFC 9110 tokens), safe to echo.</summary>
    private static bool IsTokenList(string value)
    {
        var any = false;
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Length == 0)
            {
                continue;
            }

            if (!IsToken(item))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    /// <summary>Whether text is an RFC 9110 token (a header name): letters, digits and <c>!#$%&amp;'*+-.^_`|~</c>.</summary>
    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    /// <summary>Whether text can be a header value as Kestrel sends one: printable ASCII and tabs, no line breaks.</summary>
    private static bool IsFieldValue(string text) => text.All(c => c is '\t' or (>= ' ' and <= '~'));

    /// <summary>Adds a name to <c>Vary</c> unless it is there, keeping one line (<c>Vary: Origin, Accept-Encoding</c>).</summary>
    private static void AddVary(HttpHeaders headers, string name)
    {
        if (headers["Vary"] is not { } current)
        {
            headers.Set("Vary", name);
        }
        else if (!current.Any(value => value.Split(',', StringSplitOptions.TrimEntries).Contains(name, StringComparer.OrdinalIgnoreCase)))
        {
            headers.Set("Vary", string.Join(", ", current) + ", " + name);
        }
    }

    /// <summary>
    /// Where a folder asked for without its trailing slash is: the path re-encoded segment by segment, with one
    /// leading slash (<c>//host</c> or <c>/\host</c> would send a browser to another site), and the query as sent.
    /// </summary>
    private static Uri FolderLocation(string path, string target)
    {
        var location = new StringBuilder();
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            location.Append('/').Append(Uri.EscapeDataString(segment));
        }

        location.Append('/');
        var query = target.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            // As sent, but for what a Location header cannot carry (controls, spaces, non-ASCII): percent-encoded,
            // as UTF-8. Left raw, Kestrel refused the header and the client got a 500.
            Span<byte> utf8 = stackalloc byte[4];
            foreach (var rune in target.AsSpan(query).EnumerateRunes())
            {
                if (rune.Value is > 0x20 and < 0x7F)
                {
                    location.Append((char)rune.Value);
                    continue;
                }

                foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
                {
                    location.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
        }

        return new Uri(location.ToString(), UriKind.Relative);
    }

    /// <summary>
    /// An error answered as one line of text. What was set for a file (its validators, its coding) is taken back
    /// first: the text is none of those. The common headers (<c>--header</c>, CORS) stay.
    /// </summary>
    private static async Task<long> PlainAsync(HttpResponse response, HttpStatusCode status, string text)
    {
        DropRepresentation(response);
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        response.StatusCode = (int)status;
        response.Headers.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = bytes.Length;
        await response.AddAsync(bytes).ConfigureAwait(false);
        return bytes.Length;
    }

    /// <summary>Takes back what describes a file's representation, for an answer that is not it.</summary>
    private static void DropRepresentation(HttpResponse response)
    {
        foreach (var name in (string[])["ETag", "Last-Modified", "Accept-Ranges", "Content-Range", "Content-Encoding"])
        {
            response.Headers.RemoveAll(name);
        }

        response.Compression = null;
    }

    /// <summary>The body bytes of a response, for the access log; set as soon as they are known, so a failure cannot lose them.</summary>
    private sealed class SentBytes
    {
        public long Count { get; set; }
    }
}
