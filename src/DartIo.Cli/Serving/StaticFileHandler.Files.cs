using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.StaticFiles;

namespace DartIo.Cli.Serving;

/// <content>
/// A file's answer: which representation (the file, a precompressed sibling, or the file compressed on the fly), its
/// headers and validators, and its body or the part of it asked for.
/// </content>
internal sealed partial class StaticFileHandler
{
    private static readonly FileExtensionContentTypeProvider s_contentTypes = new();

    /// <summary>Text types outside <c>text/*</c> and the <c>+xml</c> / <c>+json</c> suffixes: sent as UTF-8, and compressible.</summary>
    private static readonly HashSet<string> s_textTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/javascript", "application/json", "application/xml",
    };

    /// <summary>The precompressed siblings looked for, in the server's order of preference: <c>a.js.br</c>, then <c>a.js.gz</c>.</summary>
    private static readonly (string Coding, string Suffix)[] s_siblings = [("br", ".br"), ("gzip", ".gz")];

    /// <summary>What on-the-fly compression offers, in the server's order of preference (brotli is smaller at the same cost).</summary>
    private static readonly string[] s_onTheFly = ["br", "gzip"];

    /// <summary>Answers with a file: the representation chosen, its validators, the preconditions, the range, the body.</summary>
    /// <param name="request">The request.</param>
    /// <param name="response">Its response.</param>
    /// <param name="file">The file asked for (or the single-page app's fallback).</param>
    /// <param name="requestPath">Its request path, which its precompressed siblings are looked for beside.</param>
    /// <param name="head">Whether the request is a HEAD: all the headers of the GET, no body.</param>
    /// <param name="sent">Where the bytes sent are counted as they go.</param>
    /// <returns>The body bytes sent.</returns>
    private async Task<long> FileAsync(HttpRequest request, HttpResponse response, FileInfo file, string requestPath, bool head, SentBytes sent)
    {
        var headers = response.Headers;
        var contentType = ContentType(file.Name);
        var range = SingleValue(request.Headers, "Range");
        var chosen = ChooseRepresentation(request, file, requestPath, contentType, ranged: range is not null);
        var body = chosen.File;
        var length = body.Length;
        var modified = TruncateToSeconds(body.LastWriteTimeUtc);
        var etag = ETag(modified, length, chosen.Coding); // each representation its own validator
        headers.ContentType = contentType; // the original's, whatever the coding
        headers.Set("Accept-Ranges", "bytes");
        headers.Set("Last-Modified", modified.ToString("R", CultureInfo.InvariantCulture));
        headers.Set("ETag", etag);
        AddVary(headers, "Accept-Encoding"); // any file's answer may: a sibling can appear beside it at any time
        if (chosen is { Coding: { } coding, OnTheFly: false })
        {
            headers.Set("Content-Encoding", coding);
        }

        switch (Evaluate(request.Headers, etag, modified))
        {
            case Precondition.Failed:
                return await PlainAsync(response, HttpStatusCode.PreconditionFailed, "Precondition failed.").ConfigureAwait(false);
            case Precondition.NotModified:
                response.StatusCode = (int)HttpStatusCode.NotModified;
                headers.RemoveAll("Content-Type");
                headers.RemoveAll("Content-Encoding");
                AddCacheControl(headers);
                return 0;
        }

        // A range is of the representation chosen: of the precompressed sibling's bytes when that is what is sent (RFC
        // 9110 §14.1: ranges are of the selected representation, coding and all). On-the-fly compression is never
        // chosen for a range, whose bytes could not be found without compressing all that comes before them.
        var (offset, count) = (0L, length);
        if (range is not null && RangeApplies(request.Headers, etag, modified))
        {
            if (!TryParseRange(range, length, out offset, out count))
            {
                headers.Set("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes */{length}"));
                headers.RemoveAll("Content-Type");
                headers.RemoveAll("Content-Encoding");
                response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
                response.ContentLength = 0;
                return 0;
            }

            if (count != length)
            {
                response.StatusCode = (int)HttpStatusCode.PartialContent;
                headers.Set("Content-Range", string.Create(CultureInfo.InvariantCulture, $"bytes {offset}-{offset + count - 1}/{length}"));
            }
        }

        using var handle = head || count == 0
            ? null
            : File.OpenHandle(body.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        AddCacheControl(headers); // only now: a file gone missing is answered 404, which is not to be cached as the file
        if (chosen.OnTheFly)
        {
            response.Compression = chosen.Coding; // sends Content-Encoding (also for HEAD), and the body chunked
        }
        else
        {
            response.ContentLength = count;
        }

        if (handle is null)
        {
            return 0;
        }

        using var stream = new FileSegmentStream(handle, offset, count);
        try
        {
            await response.AddStreamAsync(stream).ConfigureAwait(false);
        }
        finally
        {
            sent.Count = stream.Delivered; // all of it, or what the connection took before the client went
        }

        return stream.Delivered;
    }

    /// <summary>The representation sent: the file as it is, a precompressed sibling, or the file compressed as it is sent.</summary>
    /// <param name="File">The file whose bytes are sent (and whose validators they are).</param>
    /// <param name="Coding">Its content coding (<c>br</c>, <c>gzip</c>); null for identity.</param>
    /// <param name="OnTheFly">Whether the response compresses <paramref name="File"/> as it goes.</param>
    private readonly record struct Representation(FileInfo File, string? Coding, bool OnTheFly);

    /// <summary>
    /// Chooses by the request's <c>Accept-Encoding</c> (<see cref="AcceptEncoding.Choose"/>) among: the precompressed
    /// siblings present (<c>a.js.br</c>, <c>a.js.gz</c>: regular files, reached by the same rules as any path), then, with
    /// <see cref="ServeSettings.Compress"/>, brotli and gzip on the fly for a compressible, non-empty file not asked for
    /// by range. On a tie of qualities the earlier wins: a sibling (no CPU spent) before compressing, brotli before gzip.
    /// </summary>
    private Representation ChooseRepresentation(HttpRequest request, FileInfo file, string requestPath, string contentType, bool ranged)
    {
        var identity = new Representation(file, null, OnTheFly: false);
        if (request.Headers["Accept-Encoding"] is not { } values)
        {
            return identity;
        }

        var accept = AcceptEncoding.Parse(values);
        var offered = new string[s_siblings.Length + s_onTheFly.Length];
        var siblings = new FileInfo?[offered.Length];
        var count = 0;
        foreach (var (coding, suffix) in s_siblings)
        {
            if (accept.Quality(coding) > 0 && Sibling(requestPath + suffix) is { } sibling)
            {
                (offered[count], siblings[count]) = (coding, sibling);
                count++;
            }
        }

        if (Settings.Compress && !ranged && file.Length > 0 && IsCompressible(contentType))
        {
            foreach (var coding in s_onTheFly)
            {
                offered[count++] = coding;
            }
        }

        var choice = accept.Choose(offered.AsSpan(0, count));
        return choice < 0 ? identity : new Representation(siblings[choice] ?? file, offered[choice], OnTheFly: siblings[choice] is null);
    }

    /// <summary>
    /// A precompressed sibling, if it is there and is served: a file, inside the folder, not hidden, not empty, and
    /// readable by this process. No brotli or gzip stream is empty, so an empty sibling (left by a build step that
    /// failed) is not one; nor is a FIFO, a socket or a device, whose length is 0 too: sent, either made the browser fail
    /// to decode what the file would have shown. One this process may not read (left by a build run as another user)
    /// made the file itself a 403 for every browser; it is passed over, and the file is sent as it is.
    /// </summary>
    private FileInfo? Sibling(string requestPath)
    {
        if (_paths.Resolve(requestPath) is not { } real || new FileInfo(real) is not { Exists: true, Length: > 0 } sibling)
        {
            return null;
        }

        try
        {
            // Opened and closed: an open is the one question the kernel answers for ACLs, groups and capabilities alike.
            File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete).Dispose();
            return sibling;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A strong validator from the time and length, and the coding, so that no two representations share one.</summary>
    private static string ETag(DateTime modified, long length, string? coding) => coding switch
    {
        null => string.Create(CultureInfo.InvariantCulture, $"\"{modified.Ticks:x}-{length:x}\""),
        "gzip" => string.Create(CultureInfo.InvariantCulture, $"\"{modified.Ticks:x}-{length:x}-gz\""),
        _ => string.Create(CultureInfo.InvariantCulture, $"\"{modified.Ticks:x}-{length:x}-{coding}\""),
    };

    /// <summary><see cref="ServeSettings.CacheControl"/>, on what is a file or a listing (not on errors).</summary>
    private void AddCacheControl(HttpHeaders headers)
    {
        if (Settings.CacheControl is { } cacheControl)
        {
            headers.Set("Cache-Control", cacheControl);
        }
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

    private static DateTime TruncateToSeconds(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
