namespace DartIo;

/// <summary>
/// The <c>SameSite</c> attribute of a response cookie (RFC 6265bis): whether a browser sends the cookie with
/// requests that come from other sites. Mirrors Dart's <c>SameSite</c>. Set it with
/// <see cref="CookieAttributes"/>' <c>cookie.SameSite</c>.
/// </summary>
public enum SameSite
{
    /// <summary><c>SameSite=Lax</c>: sent with top-level navigations from other sites, not with their subrequests. Dart's <c>SameSite.lax</c>.</summary>
    Lax,

    /// <summary><c>SameSite=Strict</c>: sent only with requests from the cookie's own site. Dart's <c>SameSite.strict</c>.</summary>
    Strict,

    /// <summary>
    /// <c>SameSite=None</c>: sent with every request. Browsers accept it only on a <see cref="System.Net.Cookie.Secure"/>
    /// cookie; as in Dart, nothing checks that here. Dart's <c>SameSite.none</c>.
    /// </summary>
    None,
}
