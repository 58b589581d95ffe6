using System.Net;
using System.Runtime.CompilerServices;

namespace DartIo;

/// <summary>
/// The attributes of a response cookie that <see cref="Cookie"/> has no property for: <c>SameSite</c> and
/// <c>Max-Age</c>, as <c>cookie.SameSite</c> and <c>cookie.MaxAge</c>. Mirrors Dart's <c>Cookie.sameSite</c> and
/// <c>Cookie.maxAge</c>.
/// </summary>
/// <remarks>
/// <para>
/// Extension properties, so <see cref="HttpResponse.Cookies"/> stays a list of <see cref="Cookie"/>:
/// <c>response.Cookies.Add(new Cookie("id", "42") { HttpOnly = true, Secure = true, SameSite = SameSite.Strict, MaxAge = 3600 })</c>,
/// or set them on a cookie already added (until the headers are sent). The values are kept beside the cookie object (a weak table: they go
/// when the cookie goes), so a copy of the cookie made another way (<c>new Cookie(...)</c> from its fields, a
/// <see cref="CookieCollection"/>) does not carry them.
/// </para>
/// <para>
/// The <c>Set-Cookie</c> header is written in Dart's order: <c>name=value; Expires=…; Max-Age=…; Domain=…; Path=…;
/// Secure; HttpOnly; SameSite=…</c>. Request cookies (<see cref="HttpRequest.Cookies"/>) never have these: a
/// browser sends only names and values.
/// </para>
/// </remarks>
public static class CookieAttributes
{
    private static readonly ConditionalWeakTable<Cookie, Values> s_values = [];

    extension(Cookie cookie)
    {
        /// <summary>
        /// The cookie's <c>SameSite</c> attribute; null (the default) sends none, which browsers now take as
        /// <see cref="DartIo.SameSite.Lax"/>. Mirrors Dart's <c>Cookie.sameSite</c>.
        /// </summary>
        /// <remarks>
        /// As in Dart, <see cref="DartIo.SameSite.None"/> is written whether or not the cookie is
        /// <see cref="Cookie.Secure"/>; browsers drop a <c>SameSite=None</c> cookie that is not, so set both.
        /// </remarks>
        /// <exception cref="ArgumentOutOfRangeException">(Set.) Not a <see cref="DartIo.SameSite"/> value.</exception>
        public SameSite? SameSite
        {
            get => s_values.TryGetValue(cookie, out var values) ? values.SameSite : null;
            set
            {
                if (value is { } sameSite && !Enum.IsDefined(sameSite))
                {
                    throw new ArgumentOutOfRangeException(nameof(value), sameSite, null);
                }

                s_values.GetValue(cookie, static _ => new Values()).SameSite = value;
            }
        }

        /// <summary>
        /// The cookie's <c>Max-Age</c> in seconds: how long the browser keeps it; null (the default) sends none.
        /// Zero or negative tells the browser to delete the cookie at once. Where both this and
        /// <see cref="Cookie.Expires"/> are sent, browsers follow <c>Max-Age</c>. Mirrors Dart's <c>Cookie.maxAge</c>.
        /// </summary>
        public int? MaxAge
        {
            get => s_values.TryGetValue(cookie, out var values) ? values.MaxAge : null;
            set => s_values.GetValue(cookie, static _ => new Values()).MaxAge = value;
        }
    }

    private sealed class Values
    {
        public SameSite? SameSite { get; set; }

        public int? MaxAge { get; set; }
    }
}
