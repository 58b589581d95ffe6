using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DartIo.Cli.Serving;

/// <summary>The column a listing is sorted by (<c>?sort=name|size|modified</c>).</summary>
internal enum ListingSort
{
    Name,
    Size,
    Modified,
}

/// <summary>One name in a listing: a file or a folder, with what one look at it (one <c>stat</c>) told.</summary>
/// <param name="Name">The name in its folder.</param>
/// <param name="IsFolder">Whether it is a folder (a link to one counts).</param>
/// <param name="Length">The file's length in bytes; 0 for a folder.</param>
/// <param name="Modified">When it was last written, in UTC.</param>
internal readonly record struct ListingEntry(string Name, bool IsFolder, long Length, DateTime Modified);

/// <summary>
/// What a listing's query asks for: <c>?sort=name|size|modified&amp;order=asc|desc&amp;filter=TEXT</c>. Anything else,
/// or a value it does not know, is ignored (the default order is by name, ascending; no filter).
/// </summary>
/// <param name="Sort">The column.</param>
/// <param name="Descending">Whether the order is reversed.</param>
/// <param name="Filter">The text names must contain (case-insensitive); empty for all.</param>
internal readonly record struct ListingQuery(ListingSort Sort, bool Descending, string Filter)
{
    /// <summary>The longest filter kept; a longer one is cut (it would match nothing anyway).</summary>
    private const int MaxFilterLength = 256;

    public static ListingQuery Parse(IReadOnlyDictionary<string, string> query)
    {
        var sort = query.GetValueOrDefault("sort") switch
        {
            "size" => ListingSort.Size,
            "modified" => ListingSort.Modified,
            _ => ListingSort.Name,
        };
        var descending = query.GetValueOrDefault("order") == "desc";
        var filter = query.GetValueOrDefault("filter")?.Trim() ?? string.Empty;
        return new ListingQuery(sort, descending, filter.Length > MaxFilterLength ? filter[..MaxFilterLength] : filter);
    }

    /// <summary>Whether a name passes the filter.</summary>
    public bool Matches(ReadOnlySpan<char> name) => Filter.Length == 0 || name.Contains(Filter, StringComparison.OrdinalIgnoreCase);

    /// <summary>Sorts entries in place: folders first, then by the column (ties by name), reversed when descending.</summary>
    public void Order(List<ListingEntry> entries)
    {
        var sign = Descending ? -1 : 1;
        var column = Sort;
        entries.Sort((a, b) =>
        {
            if (a.IsFolder != b.IsFolder)
            {
                return a.IsFolder ? -1 : 1; // folders first, whichever the order
            }

            var order = column switch
            {
                ListingSort.Size => a.Length.CompareTo(b.Length),
                ListingSort.Modified => a.Modified.CompareTo(b.Modified),
                _ => 0,
            };
            if (order == 0)
            {
                order = StringComparer.OrdinalIgnoreCase.Compare(a.Name, b.Name);
            }

            return sign * (order != 0 ? order : string.CompareOrdinal(a.Name, b.Name));
        });
    }
}

/// <summary>
/// The HTML of a folder listing: a breadcrumb of the folder's ancestors, the counts, a filter box, and a table of
/// names, sizes and modification times whose column headings sort it. Sorting and filtering are links and a GET form
/// the server answers, so the page works without JavaScript; a few lines of inline script only filter as you type.
/// No external assets: the icons are inline SVG symbols, the fonts the system's own, and light or dark follows
/// <c>prefers-color-scheme</c>.
/// </summary>
internal static class ListingPage
{
    private const string Style = """
        :root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--head:#f6f8fa;--hover:#f3f6f9;--link:#0969da;--folder:#54aeff;--file:#818b98;--img:#1a7f37;--av:#8250df;--z:#9a6700;--ring:#0969da55}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--head:#151b23;--hover:#161d27;--link:#4493f8;--folder:#4493f8;--file:#9198a1;--img:#3fb950;--av:#ab7df8;--z:#d29922;--ring:#4493f877}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,Cantarell,"Noto Sans",sans-serif}
        main{max-width:64rem;margin:0 auto;padding:2rem 1.25rem 3rem}
        svg.sprite{display:none}
        svg.i{width:20px;height:20px;flex:none}
        h1{display:flex;flex-wrap:wrap;align-items:center;gap:.1rem .35rem;margin:0;font-size:1.4rem;font-weight:600;overflow-wrap:anywhere}
        h1 a{color:var(--link);text-decoration:none;border-radius:4px}
        h1 a:hover{text-decoration:underline}
        h1 a.root{display:flex;color:var(--muted)}
        h1 a.root:hover{color:var(--link)}
        h1 .sep{color:var(--muted);font-weight:400}
        .bar{display:flex;flex-wrap:wrap;gap:.75rem 1.5rem;align-items:center;justify-content:space-between;margin:1.25rem 0 .75rem}
        .counts{margin:0;color:var(--muted)}
        .counts a{color:var(--link)}
        form{display:flex;gap:.5rem;margin:0}
        input,button{font:inherit;font-size:.9rem;color:var(--fg);border:1px solid var(--line);border-radius:6px;padding:.3rem .7rem}
        input{background:var(--bg);width:16rem;max-width:60vw}
        button{background:var(--head);cursor:pointer}
        input:focus-visible,button:focus-visible,a:focus-visible{outline:2px solid var(--link);outline-offset:1px;box-shadow:0 0 0 4px var(--ring)}
        .box{border:1px solid var(--line);border-radius:8px;overflow:hidden}
        table{width:100%;border-collapse:collapse}
        th{background:var(--head);text-align:left;font-size:.8rem;font-weight:600;color:var(--muted);padding:.55rem .9rem;border-bottom:1px solid var(--line);white-space:nowrap}
        th a{color:inherit;text-decoration:none}
        th a:hover,th[aria-sort] a{color:var(--fg)}
        th .arrow{margin-left:.25em}
        td{padding:.42rem .9rem;border-top:1px solid var(--line)}
        tr:first-child td{border-top:0}
        tbody tr:hover{background:var(--hover)}
        td.name{width:100%;max-width:0}
        td.name a{display:flex;align-items:center;gap:.6rem;color:var(--fg);text-decoration:none}
        td.name a span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
        td.name a:hover span{color:var(--link);text-decoration:underline}
        .d svg.i{color:var(--folder)}
        .f svg.i,.up svg.i{color:var(--file)}
        .f svg.img{color:var(--img)}
        .f svg.av{color:var(--av)}
        .f svg.z{color:var(--z)}
        .size,.modified{white-space:nowrap;color:var(--muted);font-variant-numeric:tabular-nums}
        .size{text-align:right}
        .empty{padding:1.5rem .9rem;color:var(--muted);text-align:center}
        footer{margin-top:1rem;color:var(--muted);font-size:.8rem}
        @media (max-width:40rem){.modified{display:none}main{padding:1.25rem .75rem}input{width:11rem}}
        """;

    /// <summary>Filters the table as the user types; the form does the same without it.</summary>
    private const string Script = """
        const box=document.querySelector('input[name=filter]');box.addEventListener('input',()=>{const q=box.value.trim().toLowerCase();for(const row of document.querySelectorAll('tr.d,tr.f'))row.hidden=!row.querySelector('span').textContent.toLowerCase().includes(q)});
        """;

    /// <summary>
    /// The icons, drawn once and used by reference (<c>&lt;use href="#…"&gt;</c>), so a row costs a few bytes however
    /// many there are.
    /// </summary>
    private const string Symbols = """
        <svg class="sprite" xmlns="http://www.w3.org/2000/svg">
        <symbol id="home" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M3 10.5 12 3l9 7.5"/><path d="M5 9v11h5v-6h4v6h5V9"/></symbol>
        <symbol id="up" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M9 14 4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/></symbol>
        <symbol id="d" viewBox="0 0 24 24"><path fill="currentColor" d="M2.5 6.5A2.5 2.5 0 0 1 5 4h4.1a2 2 0 0 1 1.5.7L12 6.3h7A2.5 2.5 0 0 1 21.5 8.8v8.7a2.5 2.5 0 0 1-2.5 2.5H5a2.5 2.5 0 0 1-2.5-2.5z"/></symbol>
        <symbol id="f" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"><path d="M6 2.8h8l5 5V20a1.2 1.2 0 0 1-1.2 1.2H6A1.2 1.2 0 0 1 4.8 20V4A1.2 1.2 0 0 1 6 2.8z"/><path d="M14 2.8V8h5"/></symbol>
        <symbol id="t" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><path d="M6 2.8h8l5 5V20a1.2 1.2 0 0 1-1.2 1.2H6A1.2 1.2 0 0 1 4.8 20V4A1.2 1.2 0 0 1 6 2.8z"/><path d="M14 2.8V8h5M8.5 12.5h7M8.5 16h7"/></symbol>
        <symbol id="c" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><path d="M6 2.8h8l5 5V20a1.2 1.2 0 0 1-1.2 1.2H6A1.2 1.2 0 0 1 4.8 20V4A1.2 1.2 0 0 1 6 2.8z"/><path d="M14 2.8V8h5M10 12l-2 2.2 2 2.2M14 12l2 2.2-2 2.2"/></symbol>
        <symbol id="img" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="9.5" r="1.6"/><path d="m3.5 17.5 5-5 4 4 2.5-2.5 5.5 5"/></symbol>
        <symbol id="av" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><rect x="3" y="4" width="18" height="16" rx="2"/><path d="m10 9 5 3-5 3z"/></symbol>
        <symbol id="z" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><path d="M6 2.8h8l5 5V20a1.2 1.2 0 0 1-1.2 1.2H6A1.2 1.2 0 0 1 4.8 20V4A1.2 1.2 0 0 1 6 2.8z"/><path d="M14 2.8V8h5M10 5h1.5M10 8h1.5M10 11h1.5M10 14h1.5"/><rect x="9.5" y="15.5" width="2.5" height="3" rx=".6"/></symbol>
        </svg>
        """;

    /// <summary>
    /// The page's <c>Content-Security-Policy</c>: nothing may load or run but the page's own style and script, named by
    /// their SHA-256 (they never change, so the header is a constant; a nonce would have to be new per response), and
    /// the data: icon. The form may only go back here, and no other site may frame the page.
    /// </summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src '{Sha256(Style)}'; script-src '{Sha256(Script)}'; img-src data:; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

    /// <summary>The tab's icon: a folder, inline, so that the browser asks the server for no favicon.ico.</summary>
    private const string Favicon =
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Cpath fill='%2354aeff' "
        + "d='M2.5 6.5A2.5 2.5 0 0 1 5 4h4.1a2 2 0 0 1 1.5.7L12 6.3h7A2.5 2.5 0 0 1 21.5 8.8v8.7a2.5 2.5 0 0 1-2.5 2.5H5a2.5 "
        + "2.5 0 0 1-2.5-2.5z'/%3E%3C/svg%3E";

    /// <summary>How much of the page <see cref="Render"/> gathers before it hands a part over (characters; a row is about 320).</summary>
    internal const int PartChars = 16 * 1024;

    /// <summary>
    /// The page for a folder, in parts of about <see cref="PartChars"/> characters: the head and the first rows, then
    /// the next rows, ... then the end. One builder is reused from part to part, so each part must be used before the
    /// next is asked for; however many names the folder holds, no more of the page than a part is ever in memory.
    /// </summary>
    /// <param name="path">The folder's request path, decoded, with its trailing slash (<c>/</c>, <c>/docs/</c>).</param>
    /// <param name="entries">What it holds, already filtered and sorted.</param>
    /// <param name="query">The sort and filter asked for.</param>
    public static IEnumerable<StringBuilder> Render(string path, IReadOnlyList<ListingEntry> entries, ListingQuery query)
    {
        var html = new StringBuilder(PartChars + 4096);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"color-scheme\" content=\"light dark\">\n")
            .Append("<title>Index of ").AppendEncoded(path).Append("</title>\n")
            .Append("<link rel=\"icon\" href=\"").Append(Favicon).Append("\">\n")
            .Append("<style>").Append(Style).Append("</style>\n</head>\n<body>\n").Append(Symbols).Append('\n')
            .Append("<main>\n");
        AppendBreadcrumb(html, segments);
        AppendBar(html, entries, query);
        AppendTableHead(html, query, atRoot: segments.Length == 0);
        foreach (var entry in entries)
        {
            AppendRow(html, entry);
            if (html.Length >= PartChars)
            {
                yield return html;
                html.Clear();
            }
        }

        AppendTableEnd(html, entries.Count, query);
        html.Append("<footer>Served by dartio. Times are UTC.</footer>\n</main>\n")
            .Append("<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        yield return html;
    }

    /// <summary>The heading: a home link, then each ancestor as a link, then the folder itself.</summary>
    private static void AppendBreadcrumb(StringBuilder html, string[] segments)
    {
        html.Append("<h1><a class=\"root\" href=\"/\" title=\"Top folder\" aria-label=\"Top folder\">")
            .Append("<svg class=\"i\"><use href=\"#home\"/></svg></a><span class=\"sep\">/</span>");
        var href = new StringBuilder("/");
        for (var i = 0; i < segments.Length; i++)
        {
            href.Append(Uri.EscapeDataString(segments[i])).Append('/');
            if (i < segments.Length - 1)
            {
                html.Append("<a href=\"").Append(href).Append("\">").AppendEncoded(segments[i]).Append("</a>");
            }
            else
            {
                html.Append("<span aria-current=\"page\">").AppendEncoded(segments[i]).Append("</span>");
            }

            html.Append("<span class=\"sep\">/</span>");
        }

        html.Append("</h1>\n");
    }

    /// <summary>The counts, and the filter box (a GET form that keeps the sort).</summary>
    private static void AppendBar(StringBuilder html, IReadOnlyList<ListingEntry> entries, ListingQuery query)
    {
        var folders = 0;
        var bytes = 0L;
        foreach (var entry in entries)
        {
            folders += entry.IsFolder ? 1 : 0;
            bytes += entry.IsFolder ? 0 : entry.Length;
        }

        var files = entries.Count - folders;
        html.Append("<div class=\"bar\">\n<p class=\"counts\">")
            .Append(Count(folders, "folder")).Append(", ").Append(Count(files, "file"));
        if (files > 0)
        {
            html.Append(" (").Append(HumanSize(bytes)).Append(')');
        }

        if (query.Filter.Length > 0)
        {
            html.Append(" matching “").AppendEncoded(query.Filter).Append("” · <a href=\"")
                .Append(QueryString(query with { Filter = string.Empty })).Append("\">show all</a>");
        }

        html.Append("</p>\n<form method=\"get\" role=\"search\">")
            .Append("<input type=\"search\" name=\"filter\" value=\"").AppendEncoded(query.Filter)
            .Append("\" placeholder=\"Filter names\" aria-label=\"Filter names\" autocomplete=\"off\">");
        if (query.Sort != ListingSort.Name || query.Descending)
        {
            html.Append("<input type=\"hidden\" name=\"sort\" value=\"").Append(SortName(query.Sort))
                .Append("\"><input type=\"hidden\" name=\"order\" value=\"").Append(query.Descending ? "desc" : "asc").Append("\">");
        }

        html.Append("<button type=\"submit\">Filter</button></form>\n</div>\n");
    }

    /// <summary>The table's headings, and the parent folder's row below the top.</summary>
    private static void AppendTableHead(StringBuilder html, ListingQuery query, bool atRoot)
    {
        html.Append("<div class=\"box\">\n<table>\n<thead><tr>");
        AppendHeading(html, query, ListingSort.Name, "Name", string.Empty);
        AppendHeading(html, query, ListingSort.Size, "Size", " class=\"size\"");
        AppendHeading(html, query, ListingSort.Modified, "Modified", " class=\"modified\"");
        html.Append("</tr></thead>\n<tbody>\n");
        if (!atRoot)
        {
            html.Append("<tr class=\"up\"><td class=\"name\"><a href=\"../\"><svg class=\"i\"><use href=\"#up\"/></svg>")
                .Append("<span>Parent folder</span></a></td><td class=\"size\"></td><td class=\"modified\"></td></tr>\n");
        }
    }

    /// <summary>One name's row: its link and icon, its size (the exact count in the title), its time.</summary>
    private static void AppendRow(StringBuilder html, ListingEntry entry)
    {
        var href = Uri.EscapeDataString(entry.Name);
        var icon = entry.IsFolder ? "d" : Icon(entry.Name);
        html.Append(entry.IsFolder ? "<tr class=\"d\">" : "<tr class=\"f\">")
            .Append("<td class=\"name\"><a href=\"").Append(href).Append(entry.IsFolder ? "/\">" : "\">")
            .Append("<svg class=\"i ").Append(icon).Append("\"><use href=\"#").Append(icon).Append("\"/></svg><span>")
            .AppendEncoded(entry.Name).Append(entry.IsFolder ? "/" : string.Empty).Append("</span></a></td>");
        if (entry.IsFolder)
        {
            html.Append("<td class=\"size\">—</td>");
        }
        else
        {
            html.Append("<td class=\"size\" title=\"")
                .Append(entry.Length.ToString("N0", CultureInfo.InvariantCulture)).Append(entry.Length == 1 ? " byte\">" : " bytes\">")
                .Append(HumanSize(entry.Length)).Append("</td>");
        }

        html.Append("<td class=\"modified\"><time datetime=\"")
            .Append(entry.Modified.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\">")
            .Append(entry.Modified.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Append("</time></td></tr>\n");
    }

    /// <summary>The table's end, with a line in place of the rows when there are none.</summary>
    private static void AppendTableEnd(StringBuilder html, int count, ListingQuery query)
    {
        if (count == 0)
        {
            html.Append("<tr><td class=\"empty\" colspan=\"3\">")
                .Append(query.Filter.Length > 0 ? "No names match." : "This folder is empty.").Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>A column heading: a link that sorts by it, ascending, or the other way when it is the column sorted by.</summary>
    private static void AppendHeading(StringBuilder html, ListingQuery query, ListingSort column, string label, string attributes)
    {
        var current = query.Sort == column;
        html.Append("<th").Append(attributes);
        if (current)
        {
            html.Append(" aria-sort=\"").Append(query.Descending ? "descending" : "ascending").Append('"');
        }

        html.Append("><a href=\"").Append(QueryString(query with { Sort = column, Descending = current && !query.Descending }))
            .Append("\">").Append(label);
        if (current)
        {
            html.Append("<span class=\"arrow\" aria-hidden=\"true\">").Append(query.Descending ? "↓" : "↑").Append("</span>");
        }

        html.Append("</a></th>");
    }

    /// <summary>The query string for a sort and filter, HTML-escaped for an attribute (<c>?sort=size&amp;amp;order=desc</c>).</summary>
    private static string QueryString(ListingQuery query)
    {
        var text = new StringBuilder("?sort=").Append(SortName(query.Sort)).Append("&amp;order=").Append(query.Descending ? "desc" : "asc");
        if (query.Filter.Length > 0)
        {
            text.Append("&amp;filter=").Append(Uri.EscapeDataString(query.Filter));
        }

        return text.ToString();
    }

    private static string SortName(ListingSort sort) => sort switch
    {
        ListingSort.Size => "size",
        ListingSort.Modified => "modified",
        _ => "name",
    };

    private static string Count(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? string.Empty : "s")}");

    /// <summary>A size as people read it: bytes below 1 KiB, else binary units with one decimal below 10 (4.2 KiB, 12 MiB).</summary>
    internal static string HumanSize(long bytes)
    {
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        ReadOnlySpan<string> units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value < 9.95
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0} {units[unit]}");
    }

    /// <summary>The icon of a file, by its extension: text, code, image, audio or video, archive, or a plain page.</summary>
    private static string Icon(string name)
    {
        var dot = name.LastIndexOf('.');
        if (dot <= 0)
        {
            return "f";
        }

        return name[(dot + 1)..].ToLowerInvariant() switch
        {
            "txt" or "md" or "markdown" or "rst" or "csv" or "tsv" or "log" or "pdf" or "doc" or "docx" or "odt" or "rtf" => "t",
            "html" or "htm" or "css" or "js" or "mjs" or "cjs" or "ts" or "tsx" or "jsx" or "json" or "xml" or "yaml" or "yml"
                or "toml" or "c" or "h" or "cc" or "cpp" or "cs" or "go" or "rs" or "py" or "rb" or "java" or "kt" or "swift"
                or "php" or "sh" or "bash" or "ps1" or "sql" or "wasm" or "dart" => "c",
            "png" or "jpg" or "jpeg" or "gif" or "webp" or "avif" or "svg" or "ico" or "bmp" or "tif" or "tiff" or "heic" => "img",
            "mp4" or "webm" or "mkv" or "mov" or "avi" or "m4v" or "mp3" or "wav" or "flac" or "ogg" or "oga" or "opus" or "m4a"
                or "aac" => "av",
            "zip" or "gz" or "tgz" or "tar" or "xz" or "bz2" or "zst" or "br" or "7z" or "rar" or "jar" or "deb" or "rpm"
                or "nupkg" or "snupkg" => "z",
            _ => "f",
        };
    }

    /// <summary>
    /// Appends text for HTML content or a quoted attribute: <c>&amp; &lt; &gt; " '</c> as references, and control
    /// characters (which a file name may hold, and HTML may not) as U+FFFD. Other characters go as they are, in UTF-8.
    /// </summary>
    private static StringBuilder AppendEncoded(this StringBuilder html, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => html.Append("&amp;"),
                '<' => html.Append("&lt;"),
                '>' => html.Append("&gt;"),
                '"' => html.Append("&quot;"),
                '\'' => html.Append("&#39;"),
                _ when char.IsControl(c) => html.Append('\uFFFD'),
                _ => html.Append(c),
            };
        }

        return html;
    }

    private static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
