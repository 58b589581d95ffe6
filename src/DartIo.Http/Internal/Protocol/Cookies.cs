using System.Buffers;
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
            var rest = header.AsSpan();
            while (NextPair(ref rest, out var name, out var value))
            {
                try
                {
                    cookies.Add(new Cookie(name.ToString(), value.ToString()));
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
    /// Reads the next <c>name=value</c> pair of a request <c>Cookie</c> header in place: name and value trimmed, the
    /// value's quotes stripped, pairs without a name or <c>=</c> skipped. The one reading of the header, for
    /// <see cref="Parse"/> and for the session lookup, which must not pay a <see cref="Cookie"/> per pair.
    /// </summary>
    /// <param name="rest">What is left of the header; advanced past the pair.</param>
    /// <param name="name">The pair's name.</param>
    /// <param name="value">The pair's value.</param>
    /// <returns>False when no pair is left.</returns>
    public static bool NextPair(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(';');
            var part = (end < 0 ? rest : rest[..end]).Trim();
            rest = end < 0 ? default : rest[(end + 1)..];
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            name = part[..equals].Trim();
            value = part[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }

            return true;
        }

        name = value = default;
        return false;
    }

    /// <summary>
    /// Formats a cookie as a <c>Set-Cookie</c> header value, in Dart's order: <c>name=value; Expires; Max-Age; Domain;
    /// Path; Secure; HttpOnly; SameSite</c> (<see cref="CookieAttributes"/> for the last and Max-Age).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The name is not a token, the value has a character outside RFC 6265's cookie-octets, or the path or domain has a
    /// control character or <c>;</c>: Dart's <c>Cookie</c> checks, which <see cref="Cookie"/> makes only inside a
    /// <see cref="CookieContainer"/>. Written as is, a value taken from a client (<c>x; Domain=evil.example</c>) would
    /// add attributes of the client's choosing.
    /// </exception>
    public static string Format(Cookie cookie)
    {
        Validate(cookie);
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

    private static void Validate(Cookie cookie)
    {
        if (cookie.Name.Length == 0 || cookie.Name.AsSpan().IndexOfAnyExcept(s_tokenChars) >= 0)
        {
            throw new InvalidOperationException(HttpMessages.InvalidCookie(cookie.Name, "name"));
        }

        var value = cookie.Value.AsSpan();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1]; // RFC 6265: cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )
        }

        if (value.IndexOfAnyExcept(s_cookieOctets) >= 0)
        {
            throw new InvalidOperationException(HttpMessages.InvalidCookie(cookie.Name, "value"));
        }

        if (cookie.Path.AsSpan().IndexOfAny(s_attributeBreakers) >= 0)
        {
            throw new InvalidOperationException(HttpMessages.InvalidCookie(cookie.Name, "path"));
        }

        if (cookie.Domain.AsSpan().IndexOfAny(s_attributeBreakers) >= 0)
        {
            throw new InvalidOperationException(HttpMessages.InvalidCookie(cookie.Name, "domain"));
        }
    }

    /// <summary>RFC 7230's tchar, Dart's check of a cookie name.</summary>
    private static readonly SearchValues<char> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>RFC 6265's cookie-octet (US-ASCII but controls, whitespace, DQUOTE, comma, semicolon and backslash), Dart's check of a value.</summary>
    private static readonly SearchValues<char> s_cookieOctets =
        SearchValues.Create("!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>What ends an attribute value or the header line: Dart's check of a path (controls and <c>;</c>), applied to the domain too.</summary>
    private static readonly SearchValues<char> s_attributeBreakers = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f;");
}
