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
        IgnoreInaccessible = true,
        RecurseSubdirectories = false,
    };

    private async Task<long> ListingAsync(HttpRequest request, HttpResponse response, string folder, string requestPath, bool head)
    {
        var query = ListingQuery.Parse(request.QueryParameters);
        var entries = ReadFolder(folder, requestPath, query);
        query.Order(entries);
        var bytes = Encoding.UTF8.GetBytes(ListingPage.Render(requestPath, entries, query));

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
        else
        {
            response.ContentLength = bytes.Length;
        }

        if (head)
        {
            return 0;
        }

        await response.AddAsync(bytes).ConfigureAwait(false);
        return bytes.Length;
    }

    /// <summary>
    /// What a folder shows: every name but the hidden ones (and those a request could not name: a backslash is refused),
    /// those the filter leaves. A link is shown as what it leads to, and only when that would be served (inside the
    /// folder, not hidden): a link out of it must not tell the size and time of what lies outside.
    /// </summary>
    private List<ListingEntry> ReadFolder(string folder, string requestPath, ListingQuery query)
    {
        var atRoot = folder == _paths.Root;
        var names = new FileSystemEnumerable<ListingEntry?>(folder, (ref entry) => Describe(ref entry, requestPath), s_listingOptions)
        {
            ShouldIncludePredicate = (ref entry) =>
                !_paths.IsHidden(entry.FileName, atRoot) && !entry.FileName.Contains('\\') && query.Matches(entry.FileName),
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
