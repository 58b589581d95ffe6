namespace DartIo.Cli.Serving;

/// <summary>
/// Maps a request path to a file under the served folder, refusing anything that would leave it: <c>..</c>
/// segments (also percent-encoded), NUL bytes, and symbolic links whose target lies outside the folder.
/// </summary>
internal sealed class SafePaths
{
    private const int MaxLinkHops = 40;

    /// <param name="root">The served folder; it is resolved through any links once, here.</param>
    public SafePaths(string root)
    {
        Root = RealPath("/", Path.GetFullPath(root).Split('/', StringSplitOptions.RemoveEmptyEntries)) ?? throw new DirectoryNotFoundException(root);
    }

    /// <summary>The served folder's real path (no links, no trailing separator).</summary>
    public string Root { get; }

    /// <summary>
    /// The real path of the file or folder a request path names, or null when the path is malformed, escapes the
    /// folder, or names nothing.
    /// </summary>
    /// <param name="rawPath">The path part of the request target, percent-encoded as sent, starting with '/'.</param>
    public string? Resolve(string rawPath)
    {
        if (!rawPath.StartsWith('/'))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(rawPath);
        }
        catch (UriFormatException)
        {
            return null;
        }

        var segments = decoded.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments)
        {
            if (segment is "." or ".." || segment.Contains('\0', StringComparison.Ordinal) || segment.Contains('\\', StringComparison.Ordinal))
            {
                return null;
            }
        }

        var real = RealPath(Root, segments); // the root is real already: only what is below it needs resolving
        return real is not null && IsInside(real) ? real : null;
    }

    private bool IsInside(string path) =>
        path == Root || (path.StartsWith(Root, StringComparison.Ordinal) && (Root.EndsWith('/') || path[Root.Length] == '/'));

    /// <summary>
    /// Resolves every symbolic link on the way from a real folder down a list of segments, like POSIX <c>realpath</c>;
    /// null when something does not exist.
    /// </summary>
    private static string? RealPath(string start, IEnumerable<string> segments)
    {
        var hops = 0;
        var pending = new Queue<string>(segments);
        var current = start;
        while (pending.TryDequeue(out var segment))
        {
            var next = Path.Join(current, segment);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > MaxLinkHops)
                {
                    return null;
                }

                // Go on from the link's target, then with what was left of the path.
                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Join(current, target));
                pending = new Queue<string>(resolved.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(pending));
                current = "/";
                continue;
            }

            if (!info.Exists && !Directory.Exists(next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }
}
