using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace DartIo.Cli.Serving;

/// <content>
/// The conditional requests (RFC 9110 §13) and single byte ranges (§14) of a file's answer, evaluated against the
/// validators of the representation chosen.
/// </content>
internal sealed partial class StaticFileHandler
{
    /// <summary>How a precondition (RFC 9110 §13.2) turned out.</summary>
    private enum Precondition
    {
        Passed,
        NotModified,
        Failed,
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
}
