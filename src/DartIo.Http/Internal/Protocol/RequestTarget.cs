using System.Buffers;

namespace DartIo.Http.Internal;

/// <summary>
/// The parts of a request target (RFC 9112 §3.2) as <see cref="HttpRequest.Path"/> and the query parameters give
/// them: origin-form (<c>/p?q</c>), absolute-form (<c>http://host/p?q</c>), asterisk-form (<c>*</c>) and
/// authority-form (<c>host:port</c>, CONNECT). Decoding is lenient, as browsers are: a malformed escape or one
/// that is no UTF-8 is kept as sent.
/// </summary>
internal static class RequestTarget
{
    private const int StackLimit = 256;

    /// <summary>
    /// The decoded path: percent-escapes decoded (<c>%2F</c> too), then <c>.</c> and <c>..</c> segments removed
    /// (RFC 3986 §5.2.4, never above the root), so the result has no dot segments whatever the escapes hid.
    /// <c>/</c> for an absolute-form target without a path; <c>*</c> for the asterisk form; empty for the authority form.
    /// </summary>
    public static string Path(string target)
    {
        if (target == "*")
        {
            return target;
        }

        var path = PathPart(target, out var absolute);
        if (path.IsEmpty || path[0] != '/')
        {
            return absolute ? "/" : string.Empty; // no path; or the authority form, which has none
        }

        // The common case: nothing to decode, no dot segments; the target itself when it has no query either.
        if (!path.Contains('%') && !HasDotSegment(path))
        {
            return path.Length == target.Length ? target : path.ToString();
        }

        var decoded = path.Contains('%') ? Uri.UnescapeDataString(path) : path.ToString();
        return HasDotSegment(decoded) ? RemoveDotSegments(decoded) : decoded;
    }

    /// <summary>The query (after the first <c>?</c>), still encoded; empty when there is none.</summary>
    public static ReadOnlySpan<char> Query(string target)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? [] : target.AsSpan(question + 1);
    }

    /// <summary>
    /// Splits a query into its parameters, form-decoded (<c>+</c> is a space) in the order sent: <c>&amp;</c>
    /// separates pairs, empty pairs are skipped, a key without <c>=</c> has the value "".
    /// </summary>
    public static QueryParameterMap ParseQuery(ReadOnlySpan<char> query)
    {
        if (query.IsEmpty)
        {
            return QueryParameterMap.Empty;
        }

        var parameters = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            var key = DecodeComponent(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : DecodeComponent(pair[(equals + 1)..]);
            if (parameters.TryGetValue(key, out var values))
            {
                ((List<string>)values).Add(value);
            }
            else
            {
                parameters[key] = new List<string>(1) { value };
            }
        }

        return new QueryParameterMap(parameters);
    }

    /// <summary>One key or value of a query: <c>+</c> to a space, then the percent-escapes.</summary>
    internal static string DecodeComponent(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return string.Empty;
        }

        if (!text.Contains('+'))
        {
            return text.Contains('%') ? Uri.UnescapeDataString(text) : text.ToString();
        }

        char[]? rented = null;
        Span<char> buffer = text.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        var spaced = buffer[..text.Length];
        text.Replace(spaced, '+', ' ');
        var result = spaced.Contains('%') ? Uri.UnescapeDataString(spaced) : spaced.ToString();
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>The path of a target, encoded: up to the query; for the absolute form, from the first '/' after the authority.</summary>
    private static ReadOnlySpan<char> PathPart(string target, out bool absolute)
    {
        var span = target.AsSpan();
        var question = span.IndexOf('?');
        if (question >= 0)
        {
            span = span[..question];
        }

        absolute = false;
        if (span.Length > 0 && span[0] != '/')
        {
            var scheme = span.IndexOf("://", StringComparison.Ordinal);
            if (scheme > 0)
            {
                absolute = true;
                var afterScheme = span[(scheme + 3)..];
                var slash = afterScheme.IndexOf('/');
                return slash < 0 ? [] : afterScheme[slash..];
            }
        }

        return span;
    }

    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        for (var i = path.IndexOf("/.", StringComparison.Ordinal); i >= 0;)
        {
            var rest = path[(i + 2)..];
            if (rest.IsEmpty || rest[0] == '/' || (rest[0] == '.' && (rest.Length == 1 || rest[1] == '/')))
            {
                return true;
            }

            var next = rest.IndexOf("/.", StringComparison.Ordinal);
            i = next < 0 ? -1 : i + 2 + next;
        }

        return false;
    }

    /// <summary>RFC 3986 §5.2.4 on an absolute path: <c>.</c> segments go, <c>..</c> takes the segment before it with it.</summary>
    private static string RemoveDotSegments(string path)
    {
        var segments = path.Split('/');
        var kept = new List<string>(segments.Length);
        for (var i = 1; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            switch (segments[i])
            {
                case ".":
                    if (last)
                    {
                        kept.Add(string.Empty); // "/a/." is "/a/"
                    }

                    break;
                case "..":
                    if (kept.Count > 0)
                    {
                        kept.RemoveAt(kept.Count - 1);
                    }

                    if (last)
                    {
                        kept.Add(string.Empty); // "/a/b/.." is "/a/"
                    }

                    break;
                default:
                    kept.Add(segments[i]);
                    break;
            }
        }

        return "/" + string.Join('/', kept);
    }
}
