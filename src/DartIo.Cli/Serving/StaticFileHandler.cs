using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace DartIo.Cli.Serving;

/// <summary>
/// <c>dartio serve</c>'s request handler: files with their content types, validators (<c>ETag</c>,
/// <c>Last-Modified</c>) and conditional requests, single byte ranges, and directory listings, never anything
/// outside the served folder nor, unless asked, hidden files.
/// </summary>
internal sealed class StaticFileHandler
{
    private const string IndexFile = "index.html";

    private static readonly FileExtensionContentTypeProvider s_contentTypes = new();

    /// <summary>Text types outside <c>text/*</c> and the <c>+xml</c> / <c>+json</c> suffixes: sent as UTF-8, and compressible.</summary>
    private static readonly HashSet<string> s_textTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/javascript", "application/json", "application/xml",
    };

    private readonly SafePaths _paths;
    private readonly bool _listing;
    private readonly bool _gzip;
    private readonly bool _requireClientCertificate;
    private readonly AccessLog? _log;

    /// <param name="settings">What the command line asked for.</param>
    /// <param name="log">Where each request is logged, if anywhere.</param>
    public StaticFileHandler(ServeSettings settings, AccessLog? log)
    {
        Settings = settings;
        _paths = new SafePaths(settings.Root, settings.Dotfiles);
        _listing = settings.Listing;
        _gzip = settings.Compress;
        _requireClientCertificate = settings.RequireClientCertificate;
        _log = log;
    }

    /// <summary>What the command line asked for.</summary>
    public ServeSettings Settings { get; }

    public string Root => _paths.Root;

    /// <summary>How a precondition (RFC 9110 §13.2) turned out.</summary>
    private enum Precondition
    {
        Passed,
        NotModified,
        Failed,
    }

    public async Task HandleAsync(HttpRequest request)
    {
        var response = request.Response;
        var sent = new SentBytes();
        try
        {
            sent.Count = await ServeAsync(request, response, sent).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Gone since it was looked at, or not readable by this process: found out before anything was written.
            foreach (var name in (string[])["ETag", "Last-Modified", "Accept-Ranges", "Content-Range"])
            {
                response.Headers.RemoveAll(name);
            }

            sent.Count = ex is UnauthorizedAccessException
                ? await PlainAsync(response, HttpStatusCode.Forbidden, "Not readable.").ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }
        finally
        {
            _log?.Add(request, response.StatusCode, sent.Count);
        }
    }

    private async Task<long> ServeAsync(HttpRequest request, HttpResponse response, SentBytes sent)
    {
        if (_requireClientCertificate && request.Certificate is null)
        {
            return await PlainAsync(response, HttpStatusCode.Forbidden, "A client certificate is required.").ConfigureAwait(false);
        }

        var head = request.Method == "HEAD";
        if (!head && request.Method != "GET")
        {
            response.Headers.Set("Allow", "GET, HEAD");
            return await PlainAsync(response, HttpStatusCode.MethodNotAllowed, "Only GET and HEAD are served.").ConfigureAwait(false);
        }

        var requestPath = request.Path; // decoded, without dot segments, whatever the form of the target
        var path = _paths.Resolve(requestPath);
        if (path is null)
        {
            return await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }

        if (Directory.Exists(path))
        {
            if (!requestPath.EndsWith('/'))
            {
                await response.RedirectAsync(FolderLocation(requestPath, request.Uri.OriginalString), 301).ConfigureAwait(false);
                return 0;
            }

            var index = Path.Join(path, IndexFile);
            if (File.Exists(index) && _paths.Resolve(requestPath + IndexFile) is { } safeIndex)
            {
                return await FileAsync(request, response, new FileInfo(safeIndex), head, sent).ConfigureAwait(false);
            }

            return _listing
                ? await ListingAsync(response, path, requestPath, head).ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.Forbidden, "Folder listings are off.").ConfigureAwait(false);
        }

        if (requestPath.EndsWith('/'))
        {
            return await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false); // a file is no folder
        }

        return await FileAsync(request, response, new FileInfo(path), head, sent).ConfigureAwait(false);
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

    private async Task<long> FileAsync(HttpRequest request, HttpResponse response, FileInfo file, bool head, SentBytes sent)
    {
        var length = file.Length;
        var modified = TruncateToSeconds(file.LastWriteTimeUtc);
        var etag = string.Create(CultureInfo.InvariantCulture, $"\"{modified.Ticks:x}-{length:x}\"");
        var headers = response.Headers;
        var contentType = ContentType(file.Name);
        headers.ContentType = contentType;
        headers.Set("Accept-Ranges", "bytes");
        headers.Set("Last-Modified", modified.ToString("R", CultureInfo.InvariantCulture));

        // The representation first, since the validators are its own: gzip for a compressible file to a client that
        // takes it, unless it asks for a range (ranges are served from the file as it is).
        var range = SingleValue(request.Headers, "Range");
        var compressible = _gzip && IsCompressible(contentType);
        var gzip = compressible && range is null && AcceptsGzip(request.Headers);
        var tag = gzip ? etag[..^1] + "-gz\"" : etag; // another representation, another validator
        headers.Set("ETag", tag);
        if (compressible)
        {
            headers.Set("Vary", "Accept-Encoding");
        }

        switch (Evaluate(request.Headers, tag, modified))
        {
            case Precondition.Failed:
                return await PlainAsync(response, HttpStatusCode.PreconditionFailed, "Precondition failed.").ConfigureAwait(false);
            case Precondition.NotModified:
                response.StatusCode = (int)HttpStatusCode.NotModified;
                headers.RemoveAll("Content-Type");
                return 0;
        }

        var (offset, count) = (0L, length);
        if (range is not null && RangeApplies(request.Headers, etag, modified))
        {
            if (!TryParseRange(range, length, out offset, out count))
            {
                headers.Set("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes */{length}"));
                headers.RemoveAll("Content-Type");
                response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
                return 0;
            }

            if (count != length)
            {
                response.StatusCode = (int)HttpStatusCode.PartialContent;
                headers.Set("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes {offset}-{offset + count - 1}/{length}"));
            }
        }

        if (!gzip)
        {
            response.ContentLength = count; // with a length set, the server's AutoCompress leaves the body alone
        }
        else if (head)
        {
            headers.Set("Content-Encoding", "gzip"); // what the GET's AutoCompress would say; HEAD is never compressed
        }

        if (head || count == 0)
        {
            return 0;
        }

        using var handle = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        using var body = new FileSegmentStream(handle, offset, count);
        try
        {
            await response.AddStreamAsync(body).ConfigureAwait(false);
        }
        finally
        {
            sent.Count = body.Delivered; // all of it, or what the connection took before the client went
        }

        return body.Delivered;
    }

    private async Task<long> ListingAsync(HttpResponse response, string folder, string displayPath, bool head)
    {
        var atRoot = folder == _paths.Root;
        var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos()
            .Where(e => !_paths.IsHidden(e.Name, atRoot))
            .OrderBy(e => e is FileInfo)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase);
        var html = new StringBuilder();
        var title = WebUtility.HtmlEncode($"Index of {displayPath}");
        html.Append("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>").Append(title).Append("</title></head>\n<body>\n<h1>")
            .Append(title).Append("</h1>\n<ul>\n");
        if (displayPath != "/")
        {
            html.Append("<li><a href=\"../\">../</a></li>\n");
        }

        foreach (var entry in entries)
        {
            var name = entry is DirectoryInfo ? entry.Name + "/" : entry.Name;
            var href = Uri.EscapeDataString(entry.Name) + (entry is DirectoryInfo ? "/" : string.Empty);
            html.Append("<li><a href=\"").Append(href).Append("\">").Append(WebUtility.HtmlEncode(name)).Append("</a></li>\n");
        }

        html.Append("</ul>\n</body>\n</html>\n");
        var bytes = Encoding.UTF8.GetBytes(html.ToString());
        response.Headers.ContentType = "text/html; charset=utf-8";
        response.ContentLength = bytes.Length;
        if (!head)
        {
            await response.AddAsync(bytes).ConfigureAwait(false);
        }

        return head ? 0 : bytes.Length;
    }

    private static async Task<long> PlainAsync(HttpResponse response, HttpStatusCode status, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        response.StatusCode = (int)status;
        response.Headers.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = bytes.Length;
        await response.AddAsync(bytes).ConfigureAwait(false);
        return bytes.Length;
    }

    /// <summary>
    /// The preconditions in RFC 9110 §13.2.2's order: If-Match (strong comparison), else If-Unmodified-Since, fail
    /// with 412; then If-None-Match (weak comparison), else If-Modified-Since, answer 304. A date that is not a
    /// single valid HTTP-date is ignored, as the RFC says.
    /// </summary>
    private static Precondition Evaluate(HttpHeaders headers, string etag, DateTime modified)
    {
        var current = new EntityTagHeaderValue(etag);
        if (headers["If-Match"] is { } ifMatch)
        {
            if (!AnyMatches(ifMatch, current, strong: true))
            {
                return Precondition.Failed;
            }
        }
        else if (Date(headers, "If-Unmodified-Since") is { } unmodifiedSince && modified > unmodifiedSince)
        {
            return Precondition.Failed;
        }

        if (headers["If-None-Match"] is { } ifNoneMatch)
        {
            return AnyMatches(ifNoneMatch, current, strong: false) ? Precondition.NotModified : Precondition.Passed;
        }

        return Date(headers, "If-Modified-Since") is { } modifiedSince && modified <= modifiedSince
            ? Precondition.NotModified
            : Precondition.Passed;
    }

    /// <summary>Whether an entity-tag list (<c>If-Match</c>, <c>If-None-Match</c>) names the current tag or is <c>*</c>; a malformed list names nothing.</summary>
    private static bool AnyMatches(IReadOnlyList<string> values, EntityTagHeaderValue current, bool strong) =>
        EntityTagHeaderValue.TryParseList([.. values], out var tags)
        && tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, strong));

    /// <summary>If-Range: the range applies only while the representation is the one the client has (strong comparison).</summary>
    private static bool RangeApplies(HttpHeaders headers, string etag, DateTime modified)
    {
        if (headers["If-Range"] is null)
        {
            return true;
        }

        if (SingleValue(headers, "If-Range") is not { } ifRange)
        {
            return false; // sent twice: which representation the client has is unknown, so it gets the whole one
        }

        if (ifRange.StartsWith('"'))
        {
            return ifRange == etag;
        }

        return Date(headers, "If-Range") is { } date && date == modified;
    }

    /// <summary>
    /// The value of a header that must be single (<c>Range</c>, <c>If-Range</c>, the dates): null when it is absent or
    /// was sent more than once, which RFC 9110 lets a server ignore. (HttpHeaders.Value would throw.)
    /// </summary>
    private static string? SingleValue(HttpHeaders headers, string name) => headers[name] is [var single] ? single : null;

    /// <summary>A single HTTP-date header (any of the three formats of RFC 9110 §5.6.7), in UTC; null when absent, repeated or malformed.</summary>
    private static DateTime? Date(HttpHeaders headers, string name) =>
        SingleValue(headers, name) is { } text && HeaderUtilities.TryParseDate(text, out var date) ? date.UtcDateTime : null;

    /// <summary>
    /// Parses a single <c>bytes=</c> range (<c>a-b</c>, <c>a-</c>, <c>-n</c>). Several ranges, or another unit, are
    /// answered with the whole file (which RFC 9110 allows); false means unsatisfiable (416).
    /// </summary>
    internal static bool TryParseRange(string header, long length, out long offset, out long count)
    {
        (offset, count) = (0, length);
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || header.Contains(',', StringComparison.Ordinal))
        {
            return true;
        }

        var spec = header[6..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return true; // malformed: ignore the header
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
            {
                return true;
            }

            if (suffix == 0 || length == 0)
            {
                return false;
            }

            count = Math.Min(suffix, length);
            offset = length - count;
            return true;
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return true;
        }

        var end = length - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                return true;
            }
        }

        if (start >= length)
        {
            return false;
        }

        end = Math.Min(end, length - 1);
        (offset, count) = (start, end - start + 1);
        return true;
    }

    /// <summary>The content type of a file by its extension; text types name UTF-8, which is what files on the web are.</summary>
    private static string ContentType(string fileName)
    {
        if (!s_contentTypes.TryGetContentType(fileName, out var type))
        {
            return "application/octet-stream";
        }

        return IsText(type) ? type + "; charset=utf-8" : type;
    }

    private static bool IsText(string mediaType)
    {
        var type = mediaType.AsSpan();
        var semicolon = type.IndexOf(';');
        type = (semicolon < 0 ? type : type[..semicolon]).Trim();
        return type.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || s_textTypes.GetAlternateLookup<ReadOnlySpan<char>>().Contains(type);
    }

    private static bool IsCompressible(string contentType) =>
        IsText(contentType) || contentType.Equals("application/wasm", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <c>Accept-Encoding</c> names gzip with a quality above 0 (RFC 9110 §12.5.3). A <c>*</c> entry does not
    /// count: the server's AutoCompress, which does the compressing, wants gzip named. A malformed header takes nothing
    /// but identity.
    /// </summary>
    private static bool AcceptsGzip(HttpHeaders headers) =>
        headers["Accept-Encoding"] is { } values
        && StringWithQualityHeaderValue.TryParseList([.. values], out var codings)
        && codings.FirstOrDefault(coding => coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase)) is { } gzip
        && (gzip.Quality ?? 1) > 0;

    private static DateTime TruncateToSeconds(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    /// <summary>The body bytes of a response, for the access log; set as soon as they are known, so a failure cannot lose them.</summary>
    private sealed class SentBytes
    {
        public long Count { get; set; }
    }
}
