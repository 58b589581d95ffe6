using System.Buffers;
using System.IO.Enumeration;
using System.Text;

namespace DartIo.Cli.Serving;

/// <content>
/// A folder without index.html, listed: read once (one <c>stat</c> per name shown, none for the names hidden or
/// filtered out), sorted, and drawn by <see cref="ListingPage"/>.
/// </content>
internal sealed partial class StaticFileHandler
{
    private static readonly EnumerationOptions s_listingOptions = new()
    {
        AttributesToSkip = 0, // the default skips "hidden" names (on Unix, dotfiles), which --dotfiles lists
        // A folder this process may not read throws (UnauthorizedAccessException: 403 "Not readable.", as for a file)
        // rather than being listed as empty, which told the user a folder full of files held nothing.
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
    };

    /// <summary>
    /// Answers with a folder's listing, sent as <see cref="ListingPage.Render"/> draws it, part by part: a page small
    /// enough for the response's buffer (32 KiB) goes with its <c>Content-Length</c>, a larger one chunked, and never
    /// more of it than a part is held (a folder of 50,000 names is a 15 MB page: built whole, as a string and then its
    /// bytes, it cost 60 MB or more a request, and a few clients asking at once held gigabytes). A HEAD gets the
    /// page's length without its body; with a content coding (<c>--gzip</c>), neither has one.
    /// </summary>
    private async Task<long> ListingAsync(HttpRequest request, HttpResponse response, string folder, string requestPath, bool head)
    {
        var query = ListingQuery.Parse(request.QueryParameters);
        var entries = ReadFolder(folder, requestPath, query);
        query.Order(entries);

        var headers = response.Headers;
        headers.ContentType = "text/html; charset=utf-8";
        headers.Set("Content-Security-Policy", ListingPage.ContentSecurityPolicy);
        headers.Set("X-Content-Type-Options", "nosniff");
        AddCacheControl(headers);
        var coding = -1;
        if (Settings.Compress)
        {
            AddVary(headers, "Accept-Encoding");
            coding = AcceptEncoding.Parse(request.Headers["Accept-Encoding"]).Choose(s_onTheFly);
        }

        if (coding >= 0)
        {
            response.Compression = s_onTheFly[coding];
        }

        var encoder = Encoding.UTF8.GetEncoder();
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(ListingPage.PartChars * 2));
        var length = 0L;
        try
        {
            foreach (var part in ListingPage.Render(requestPath, entries, query))
            {
                var bytes = Encode(part, encoder, ref buffer);
                length += bytes.Length;
                if (!head)
                {
                    await response.AddAsync(bytes).ConfigureAwait(false); // copied into the connection's buffer: the buffer is ours again
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (head)
        {
            if (coding < 0)
            {
                response.ContentLength = length;
            }

            return 0;
        }

        return length;
    }

    /// <summary>A part of the page as UTF-8, in <paramref name="buffer"/> (a larger one rented when it is too small).</summary>
    private static ReadOnlyMemory<byte> Encode(StringBuilder part, Encoder encoder, ref byte[] buffer)
    {
        var most = Encoding.UTF8.GetMaxByteCount(part.Length);
        if (buffer.Length < most)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(most);
        }

        var written = 0;
        foreach (var chunk in part.GetChunks())
        {
            // Not flushed: a surrogate pair split between two of the builder's chunks is encoded whole with the next.
            written += encoder.GetBytes(chunk.Span, buffer.AsSpan(written), flush: false);
        }

        return buffer.AsMemory(0, written);
    }

    /// <summary>
    /// What a folder shows: every name but the hidden ones (and those a request could not name: a backslash is refused,
    /// and bytes that are not UTF-8 have no name in a string),
    /// those the filter leaves. A link is shown as what it leads to, and only when that would be served (inside the
    /// folder, not hidden): a link out of it must not tell the size and time of what lies outside.
    /// </summary>
    private List<ListingEntry> ReadFolder(string folder, string requestPath, ListingQuery query)
    {
        var atRoot = folder == _paths.Root;
        var names = new FileSystemEnumerable<ListingEntry?>(folder, (ref entry) => Describe(ref entry, requestPath), s_listingOptions)
        {
            ShouldIncludePredicate = (ref entry) =>
                !_paths.IsHidden(entry.FileName, atRoot) && !entry.FileName.Contains('\\') && query.Matches(entry.FileName)
                && !NotUtf8(ref entry),
        };

        var entries = new List<ListingEntry>();
        foreach (var entry in names)
        {
            if (entry is { } shown)
            {
                entries.Add(shown);
            }
        }

        return entries;
    }

    /// <summary>
    /// Whether a name is bytes that are not UTF-8 (Linux allows any), which .NET reads with U+FFFD in their place: that
    /// text names no file, so no request could reach it, and its link would be a 404. Asked (with one <c>stat</c>) only of
    /// the rare names that hold U+FFFD; one that truly holds it exists under that name, and is shown.
    /// </summary>
    private static bool NotUtf8(ref FileSystemEntry entry) =>
        entry.FileName.Contains('\uFFFD') && !Path.Exists(Path.Join(entry.Directory, entry.FileName));

    /// <summary>One name, from the one <c>stat</c> the enumeration makes of it; a link through <see cref="SafePaths"/>.</summary>
    private ListingEntry? Describe(ref FileSystemEntry entry, string requestPath)
    {
        if ((entry.Attributes & FileAttributes.ReparsePoint) == 0)
        {
            var folder = entry.IsDirectory;
            return new ListingEntry(entry.FileName.ToString(), folder, folder ? 0 : entry.Length, entry.LastWriteTimeUtc.UtcDateTime);
        }

        var name = entry.FileName.ToString();
        if (_paths.Resolve(requestPath + name) is not { } real)
        {
            return null;
        }

        FileSystemInfo target = Directory.Exists(real) ? new DirectoryInfo(real) : new FileInfo(real);
        return new ListingEntry(name, target is DirectoryInfo, target is FileInfo file ? file.Length : 0, target.LastWriteTimeUtc);
    }
}
