using System.Globalization;
using System.Net;
using System.Text;
using DartIo;

namespace DartIo.Http.Internal;

/// <summary>Reads <c>Cookie</c> headers and writes <c>Set-Cookie</c> headers (RFC 6265), as Dart's <c>Cookie</c> does.</summary>
internal static class Cookies
{
    /// <summary>Parses the <c>name=value; name2=value2</c> pairs of request <c>Cookie</c> headers; malformed pairs are skipped.</summary>
    public static List<Cookie> Parse(IEnumerable<string?> headers)
    {
        var cookies = new List<Cookie>();
        foreach (var header in headers)
        {
            if (header is null)
            {
                continue;
            }

            foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=');
                if (equals <= 0)
                {
                    continue;
                }

                var name = part[..equals].Trim();
                var value = part[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                try
                {
                    cookies.Add(new Cookie(name, value));
                }
                catch (CookieException)
                {
                    // A name or value that System.Net.Cookie refuses is skipped, like any other malformed pair.
                }
            }
        }

        return cookies;
    }

    /// <summary>
    /// Formats a cookie as a <c>Set-Cookie</c> header value, in Dart's order: <c>name=value; Expires; Max-Age; Domain;
    /// Path; Secure; HttpOnly; SameSite</c> (<see cref="CookieAttributes"/> for the last and Max-Age).
    /// </summary>
    public static string Format(Cookie cookie)
    {
        var text = new StringBuilder();
        text.Append(cookie.Name).Append('=').Append(cookie.Value);
        if (cookie.Expires != DateTime.MinValue)
        {
            text.Append("; Expires=").Append(cookie.Expires.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture));
        }

        if (cookie.MaxAge is { } maxAge)
        {
            text.Append("; Max-Age=").Append(maxAge.ToString(CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(cookie.Domain))
        {
            text.Append("; Domain=").Append(cookie.Domain);
        }

        if (!string.IsNullOrEmpty(cookie.Path))
        {
            text.Append("; Path=").Append(cookie.Path);
        }

        if (cookie.Secure)
        {
            text.Append("; Secure");
        }

        if (cookie.HttpOnly)
        {
            text.Append("; HttpOnly");
        }

        if (cookie.SameSite is { } sameSite)
        {
            text.Append("; SameSite=").Append(sameSite switch
            {
                SameSite.Strict => "Strict",
                SameSite.None => "None",
                _ => "Lax",
            });
        }

        return text.ToString();
    }
}
