using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.StaticFiles;

namespace DartIo.Cli.Serving;

/// <summary>
/// <c>dartio serve</c>'s request handler: files with their content types, validators (<c>ETag</c>,
/// <c>Last-Modified</c>) and conditional requests, single byte ranges, and directory listings, never anything
/// outside the served folder.
/// </summary>
internal sealed class StaticFileHandler
{
    private const string IndexFile = "index.html";

    private static readonly FileExtensionContentTypeProvider s_contentTypes = new();

    private static readonly HashSet<string> s_compressible = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/javascript", "text/javascript", "application/json", "application/xml", "image/svg+xml", "application/wasm",
    };

    private readonly SafePaths _paths;
    private readonly bool _listing;
    private readonly bool _gzip;
    private readonly bool _requireClientCertificate;
    private readonly AccessLog? _log;

    /// <param name="root">The folder to serve.</param>
    /// <param name="listing">Whether folders without an index.html are listed (else 403).</param>
    /// <param name="gzip">Whether compressible files are sent gzipped to clients that accept it (the servers' AutoCompress must be on).</param>
    /// <param name="requireClientCertificate">Whether requests without a client certificate are refused (403).</param>
    /// <param name="log">Where each request is logged, if anywhere.</param>
    public StaticFileHandler(string root, bool listing, bool gzip, bool requireClientCertificate, AccessLog? log)
    {
        _paths = new SafePaths(root);
        _listing = listing;
        _gzip = gzip;
        _requireClientCertificate = requireClientCertificate;
        _log = log;
    }

    public string Root => _paths.Root;

    public async Task HandleAsync(HttpRequest request)
    {
        var response = request.Response;
        long sent = 0;
        try
        {
            sent = await ServeAsync(request, response).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Gone since it was looked at, or not readable by this process: found out before anything was written.
            foreach (var name in (string[])["ETag", "Last-Modified", "Accept-Ranges", "Content-Range"])
            {
                response.Headers.RemoveAll(name);
            }

            sent = ex is UnauthorizedAccessException
                ? await PlainAsync(response, HttpStatusCode.Forbidden, "Not readable.").ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }
        finally
        {
            _log?.Add(request, response.StatusCode, sent);
        }
    }

    private async Task<long> ServeAsync(HttpRequest request, HttpResponse response)
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

        var target = request.Uri.OriginalString;
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = query < 0 ? target : target[..query];
        var path = _paths.Resolve(rawPath);
        if (path is null)
        {
            return await PlainAsync(response, HttpStatusCode.NotFound, "Not found.").ConfigureAwait(false);
        }

        if (Directory.Exists(path))
        {
            if (!rawPath.EndsWith('/'))
            {
                await response.RedirectAsync(new Uri(rawPath + "/" + (query < 0 ? string.Empty : target[query..]), UriKind.Relative), 301)
                    .ConfigureAwait(false);
                return 0;
            }

            var index = Path.Join(path, IndexFile);
            if (File.Exists(index) && _paths.Resolve(rawPath + IndexFile) is { } safeIndex)
            {
                return await FileAsync(request, response, new FileInfo(safeIndex), head).ConfigureAwait(false);
            }

            return _listing
                ? await ListingAsync(response, path, Uri.UnescapeDataString(rawPath), head).ConfigureAwait(false)
                : await PlainAsync(response, HttpStatusCode.Forbidden, "Folder listings are off.").ConfigureAwait(false);
        }

        return await FileAsync(request, response, new FileInfo(path), head).ConfigureAwait(false);
    }

    private async Task<long> FileAsync(HttpRequest request, HttpResponse response, FileInfo file, bool head)
    {
        var length = file.Length;
        var modified = TruncateToSeconds(file.LastWriteTimeUtc);
        var etag = string.Create(CultureInfo.InvariantCulture, $"\"{modified.Ticks:x}-{length:x}\"");
        var headers = response.Headers;
        headers.ContentType = s_contentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        headers.Set("Accept-Ranges", "bytes");
        headers.Set("ETag", etag);
        headers.Set("Last-Modified", modified.ToString("R", CultureInfo.InvariantCulture));

        if (NotModified(request.Headers, etag, modified))
        {
            response.StatusCode = (int)HttpStatusCode.NotModified;
            headers.RemoveAll("Content-Type");
            return 0;
        }

        var (offset, count) = (0L, length);
        if (request.Headers.Value("Range") is { } range && RangeApplies(request.Headers, etag, modified))
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

        var gzip = _gzip && count == length && IsCompressible(headers.ContentType!) && AcceptsGzip(request.Headers);
        if (gzip)
        {
            headers.Set("ETag", etag[..^1] + "-gz\""); // another representation, another validator
        }
        else
        {
            response.ContentLength = count; // with a length set, the server's AutoCompress leaves the body alone
        }

        if (head || count == 0)
        {
            return 0;
        }

        using var handle = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        using var body = new FileSegmentStream(handle, offset, count);
        await response.AddStreamAsync(body).ConfigureAwait(false);
        return count;
    }

    private static async Task<long> ListingAsync(HttpResponse response, string folder, string displayPath, bool head)
    {
        var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos()
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

    /// <summary>RFC 9110: If-None-Match wins over If-Modified-Since; a weak comparison for If-None-Match.</summary>
    private static bool NotModified(HttpHeaders headers, string etag, DateTime modified)
    {
        if (headers["If-None-Match"] is { } noneMatch)
        {
            return noneMatch.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries))
                .Any(tag => tag == "*" || WeakEquals(tag, etag));
        }

        return headers.Value("If-Modified-Since") is { } since
            && DateTime.TryParseExact(since, "R", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
            && modified <= date;
    }

    /// <summary>If-Range: the range applies only while the representation is the one the client has (strong comparison).</summary>
    private static bool RangeApplies(HttpHeaders headers, string etag, DateTime modified)
    {
        if (headers.Value("If-Range") is not { } ifRange)
        {
            return true;
        }

        if (ifRange.StartsWith('"'))
        {
            return ifRange == etag;
        }

        return DateTime.TryParseExact(ifRange, "R", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
            && date == modified;
    }

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

    private static bool WeakEquals(string tag, string etag) =>
        (tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag) == etag;

    private static bool IsCompressible(string contentType) =>
        contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || s_compressible.Contains(contentType.Split(';')[0].Trim());

    private static bool AcceptsGzip(HttpHeaders headers) =>
        headers["Accept-Encoding"]?.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries))
            .Any(coding => coding.Split(';')[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase)) ?? false;

    private static DateTime TruncateToSeconds(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
