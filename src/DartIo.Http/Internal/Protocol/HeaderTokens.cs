using Microsoft.Net.Http.Headers;
using Microsoft.Extensions.Primitives;

namespace DartIo.Http.Internal;

/// <summary>Comma-separated header tokens (<c>Connection</c>, <c>Upgrade</c>, <c>Accept-Encoding</c>), compared without case.</summary>
internal static class HeaderTokens
{
    /// <summary>Whether any value lists the token, ignoring parameters after a ';' (<c>gzip;q=1.0</c>).</summary>
    public static bool Contains(StringValues values, string token)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
            {
                var semicolon = part.IndexOf(';', StringComparison.Ordinal);
                var name = semicolon < 0 ? part : part[..semicolon].TrimEnd();
                if (name.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether an <c>Accept-Encoding</c> value names <paramref name="coding"/> with a quality above 0 (RFC 9110
    /// §12.5.3): <c>gzip;q=0</c> refuses it. A <c>*</c> entry does not count, and a malformed header accepts nothing
    /// but identity (the rule <c>dartio serve</c> uses to pick its validators, so the two always agree).
    /// </summary>
    public static bool Accepts(StringValues acceptEncoding, string coding) =>
        acceptEncoding.Count > 0
        && StringWithQualityHeaderValue.TryParseList(acceptEncoding.ToArray()!, out var codings)
        && codings.FirstOrDefault(c => c.Value.Equals(coding, StringComparison.OrdinalIgnoreCase)) is { } named
        && (named.Quality ?? 1) > 0;
}
