using Microsoft.Extensions.Primitives;

namespace DartIo.Internal;

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
}
