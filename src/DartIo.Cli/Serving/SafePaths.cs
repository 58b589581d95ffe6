namespace DartIo.Cli.Serving;

/// <summary>
/// Maps a request path to a file under the served folder, refusing anything that would leave it: <c>.</c> and
/// <c>..</c> segments, NUL bytes, backslashes, and symbolic links whose target lies outside the folder; and,
/// unless asked to serve them, hidden names (a segment starting with <c>.</c>, except <c>/.well-known</c>).
/// </summary>
internal sealed class SafePaths
{
    private const int MaxLinkHops = 40;
    private const string WellKnown = ".well-known";

    private readonly bool _dotfiles;

    /// <param name="root">The served folder; it is resolved through any links once, here.</param>
    /// <param name="dotfiles">Whether names starting with '.' are served (else they are hidden, but for <c>/.well-known</c>).</param>
    public SafePaths(string root, bool dotfiles)
    {
        Root = RealPath("/", Path.GetFullPath(root).Split('/', StringSplitOptions.RemoveEmptyEntries)) ?? throw new DirectoryNotFoundException(root);
        _dotfiles = dotfiles;
    }

    /// <summary>The served folder's real path (no links, no trailing separator).</summary>
    public string Root { get; }

    /// <summary>
    /// The real path of the file or folder a request path names, or null when the path is malformed, escapes the
    /// folder, is hidden, or names nothing.
    /// </summary>
    /// <param name="path">
    /// The request's decoded path (<see cref="HttpRequest.Path"/>), starting with '/'. It has no dot segments
    /// already; they are refused here all the same, as is anything decoding could have hidden.
    /// </param>
    public string? Resolve(string path)
    {
        if (!path.StartsWith('/'))
        {
            return null;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment is "." or ".." || segment.Contains('\0', StringComparison.Ordinal) || segment.Contains('\\', StringComparison.Ordinal)
                || IsHidden(segment, atRoot: i == 0))
            {
                return null;
            }
        }

        var real = RealPath(Root, segments); // the root is real already: only what is below it needs resolving
        return real is not null && IsInside(real) && !HidesBehindALink(real) ? real : null;
    }

    /// <summary>Whether a real path under the root passes a hidden name: a link such as <c>cfg -> .git/config</c>.</summary>
    private bool HidesBehindALink(string real)
    {
        var below = real.Length > Root.Length ? real[Root.Length..] : string.Empty; // '/a/b', or 'a/b' under a root of '/'
        var segments = below.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            if (IsHidden(segments[i], atRoot: i == 0))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a name is hidden: it starts with '.', dotfiles are not served, and it is not <c>.well-known</c> at the root.</summary>
    /// <param name="name">A file or folder name.</param>
    /// <param name="atRoot">Whether it is a name in the served folder itself.</param>
    public bool IsHidden(ReadOnlySpan<char> name, bool atRoot) =>
        !_dotfiles && name.StartsWith('.') && !(atRoot && name.SequenceEqual(WellKnown));

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
