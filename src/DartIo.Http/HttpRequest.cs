using System.Net;
using System.Security.Cryptography.X509Certificates;
using DartIo.Http.Internal;
using DartIo.Http.Internal.Hosting;
using DartIo.Http.Internal.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DartIo;

/// <summary>
/// A request that reached an <see cref="HttpServer"/>, with its <see cref="Response"/>. Mirrors Dart's <c>HttpRequest</c>.
/// </summary>
/// <remarks>
/// A view over Kestrel's request: headers and body are read where Kestrel keeps them, never copied. The body
/// is a stream that reads the bytes as they arrive, so a large upload is never held whole in memory.
/// A request belongs to the connection it came on: do not keep it after its response has completed.
/// </remarks>
public sealed class HttpRequest
{
    private readonly IFeatureCollection _features;
    private readonly IHttpRequestFeature _request;
    private readonly ConnectionState? _connection;
    private readonly bool _secure;
    private HttpHeaders? _headers;
    private Uri? _uri;
    private Uri? _requestedUri;
    private string? _path;
    private QueryParameterMap? _query;
    private IReadOnlyList<Cookie>? _cookies;
    private HttpSession? _session;

    internal HttpRequest(IFeatureCollection features, ConnectionState? connection, HttpServer server, bool secure)
    {
        _features = features;
        _request = features.Get<IHttpRequestFeature>()!;
        _connection = connection;
        _secure = secure;
        Response = new HttpResponse(this, features, server);
        if (server.SessionsIfAny is { IsEmpty: false } sessions && SessionStore.MayCarry(_request.Headers.Cookie))
        {
            _session = sessions.Resume(_request.Headers.Cookie); // as Dart: a request with the cookie keeps its session alive, used or not
        }
    }

    /// <summary>The request method (<c>GET</c>, <c>POST</c>, …). Mirrors Dart's <c>method</c>.</summary>
    public string Method => _request.Method;

    /// <summary>
    /// The request target as sent: path and query, a relative <see cref="System.Uri"/> (an absolute one for
    /// an absolute-form, proxy-style target). Mirrors Dart's <c>uri</c>.
    /// </summary>
    /// <remarks>
    /// A relative <see cref="System.Uri"/> has no parts: its <see cref="System.Uri.AbsolutePath"/>,
    /// <see cref="System.Uri.PathAndQuery"/>, <see cref="System.Uri.Query"/> and the like throw
    /// <see cref="InvalidOperationException"/>. Use <see cref="Path"/> and <see cref="QueryParameters"/>, which
    /// work for every form of target, or <see cref="RequestedUri"/>, which is always absolute.
    /// <see cref="System.Uri.OriginalString"/> is the target exactly as sent.
    /// </remarks>
    public Uri Uri => _uri ??= new Uri(RawTarget, UriKind.RelativeOrAbsolute);

    /// <summary>
    /// The path of the request target, percent-decoded: <c>"/a b"</c> for <c>/a%20b?x=1</c>. Mirrors Dart's
    /// <c>uri.path</c>, decoded as Dart's <c>uri.pathSegments</c> are.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Every form of target gives its path: <c>/docs/a</c> for the origin form <c>/docs/a</c> and for the
    /// absolute form <c>http://host/docs/a</c> (which RFC 9112 §3.2.2 says a server must accept; <c>/</c> when it
    /// has no path), <c>*</c> for <c>OPTIONS *</c>, and "" for the authority form of <c>CONNECT</c>.
    /// </para>
    /// <para>
    /// Every escape is decoded, <c>%2F</c> too, and then the <c>.</c> and <c>..</c> segments are removed (RFC 3986
    /// §5.2.4, never above the root), so the path never climbs out of its root whatever the escapes hid:
    /// <c>/a/..%2F..%2Fb</c> is <c>/b</c>. An escape that is malformed or not UTF-8 is kept as sent. Computed on
    /// first use; a target with nothing to decode is returned as it is, without a copy.
    /// </para>
    /// </remarks>
    public string Path => _path ??= RequestTarget.Path(RawTarget);

    /// <summary>
    /// The query parameters of the request target, form-decoded (<c>+</c> is a space, then percent-escapes); a key
    /// sent more than once keeps its last value. Mirrors Dart's <c>uri.queryParameters</c>.
    /// </summary>
    /// <remarks>
    /// Pairs are separated by <c>&amp;</c>; empty pairs are skipped, and a key without <c>=</c> has the value "".
    /// Keys are compared with case. Empty (and not allocated) when the target has no query. Parsed on first use,
    /// together with <see cref="QueryParametersAll"/>.
    /// </remarks>
    public IReadOnlyDictionary<string, string> QueryParameters => Query.Last;

    /// <summary>
    /// The query parameters with every value of each key, in the order sent. Mirrors Dart's
    /// <c>uri.queryParametersAll</c>. Decoded as <see cref="QueryParameters"/> are.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> QueryParametersAll => Query;

    /// <summary>
    /// The absolute URI the client asked for: the scheme (<c>X-Forwarded-Proto</c>, else http or https), the host
    /// (<c>X-Forwarded-Host</c>, else the <c>Host</c> header, else the server's address), the path and the query.
    /// Mirrors Dart's <c>requestedUri</c>.
    /// </summary>
    public Uri RequestedUri => _requestedUri ??= BuildRequestedUri();

    /// <summary>The request headers; they cannot be changed. Mirrors Dart's <c>headers</c>.</summary>
    public HttpHeaders Headers => _headers ??= HttpHeaders.ForRequest(_request.Headers);

    /// <summary>The <c>Content-Length</c> of the body; -1 when unknown (chunked, or HTTP/2 without it). Mirrors Dart's <c>contentLength</c>.</summary>
    public long ContentLength => _request.Headers.ContentLength ?? -1;

    /// <summary>The HTTP version: <c>"1.0"</c>, <c>"1.1"</c> or <c>"2"</c>. Mirrors Dart's <c>protocolVersion</c>.</summary>
    public string ProtocolVersion => _request.Protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/1.0" => "1.0",
        "HTTP/3" => "3",
        var other => other.StartsWith("HTTP/", StringComparison.Ordinal) ? other[5..] : other,
    };

    /// <summary>
    /// Whether the client wants to keep the connection open after this request: HTTP/1.1 unless it sent
    /// <c>Connection: close</c>, HTTP/1.0 only with <c>Connection: keep-alive</c>, HTTP/2 always.
    /// Mirrors Dart's <c>persistentConnection</c>.
    /// </summary>
    public bool PersistentConnection => ProtocolVersion switch
    {
        "1.1" => !HasConnectionToken("close"),
        "1.0" => HasConnectionToken("keep-alive"),
        _ => true,
    };

    /// <summary>The cookies of the <c>Cookie</c> headers. Mirrors Dart's <c>cookies</c>.</summary>
    public IReadOnlyList<Cookie> Cookies => _cookies ??= Http.Internal.Cookies.Parse(_request.Headers.Cookie);

    /// <summary>
    /// The session of the browser that sent this request: the one its <c>DARTSESSID</c> cookie names, else a new one,
    /// made now (and its cookie sent with the response). Mirrors Dart's <c>session</c>.
    /// </summary>
    /// <remarks>
    /// Use it before the response headers are sent, or a new session's cookie cannot go with them. After
    /// <see cref="HttpSession.Destroy"/>, the next use makes a new session. Each use by a client that sends no cookie
    /// (a script, a crawler) makes a session that lives <see cref="HttpServer.SessionTimeout"/>: touch it only on the
    /// paths that need one. See <see cref="HttpSession"/> for the whole lifecycle. Once the server has closed (a handler
    /// still running after a forced close), a request keeps the session it has, ended with the server, and makes at most
    /// one, never kept: every use then gives the same object, as Dart's sessions outlive their server's close.
    /// </remarks>
    public HttpSession Session
    {
        get
        {
            var session = _session;
            if (session is { IsDestroyed: false })
            {
                return session;
            }

            var sessions = Response.Server.Sessions;
            return session is not null && sessions.IsClosed ? session : _session = sessions.Create();
        }
    }

    /// <summary>
    /// The client's certificate on a secure server that asked for one (<c>requestClientCertificate</c>); null
    /// otherwise. Mirrors Dart's <c>certificate</c>.
    /// </summary>
    public X509Certificate2? Certificate => _features.Get<ITlsConnectionFeature>()?.ClientCertificate;

    /// <summary>The endpoints of the connection. Mirrors Dart's <c>connectionInfo</c>.</summary>
    public HttpConnectionInfo? ConnectionInfo => _connection?.Info;

    /// <summary>
    /// The body, read as it arrives (asynchronous reads only, as Kestrel allows). An empty stream when there
    /// is no body. Dart's <c>HttpRequest</c> is itself the body stream.
    /// </summary>
    public Stream Body => _request.Body;

    /// <summary>
    /// The largest body this request may have, in bytes: the server's <see cref="HttpServer.MaxRequestBodySize"/>
    /// (30,000,000 by default) until a handler changes it for this request; null for no limit. DartIo's own (Dart
    /// has no body limit), over Kestrel's <c>IHttpMaxRequestBodySizeFeature</c> as ASP.NET's.
    /// </summary>
    /// <remarks>
    /// Set it before the first read of <see cref="Body"/>: a 40 MB upload to a server with the default limit passes
    /// when its handler raises the limit first. A body over the limit fails the read with Kestrel's
    /// <see cref="Microsoft.AspNetCore.Http.BadHttpRequestException"/> (413).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Negative.</exception>
    /// <exception cref="InvalidOperationException">
    /// (Set.) The body has started being read, or the connection was upgraded (a WebSocket, a detached socket), as
    /// in ASP.NET.
    /// </exception>
    public long? MaxRequestBodySize
    {
        get => _features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        set
        {
            if (value is { } size)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(size, nameof(value));
            }

            var feature = _features.Get<IHttpMaxRequestBodySizeFeature>()
                ?? throw new InvalidOperationException(HttpMessages.NoRequestBodyLimit);
            feature.MaxRequestBodySize = value; // Kestrel throws InvalidOperationException once the body is being read
        }
    }

    /// <summary>The response to this request. Mirrors Dart's <c>response</c>.</summary>
    public HttpResponse Response { get; }

    /// <summary>The request's session if it has a live one (found from its cookie or made by <see cref="Session"/>); null otherwise.</summary>
    internal HttpSession? LiveSession => _session is { IsDestroyed: false } session ? session : null;

    /// <summary>True when the request came over TLS (to this server; a proxy's <c>X-Forwarded-Proto</c> does not count).</summary>
    internal bool IsSecure => _secure;

    /// <summary>The request target exactly as sent.</summary>
    internal string RawTarget => _request.RawTarget;

    internal IHeaderDictionary RequestHeaders => _request.Headers;

    internal IFeatureCollection Features => _features;

    internal ConnectionState? Connection => _connection;

    /// <summary>Its metrics and Activity (Internal/Hosting/RequestTelemetry.cs); a field, so that it is updated in place.</summary>
    internal RequestTelemetryState Telemetry;

    /// <summary>
    /// The exception DartIo threw because this request cannot be what the handler asked of it, by the client's choice (an
    /// upgrade asked of a request that asks for none): escaping the handler, it is answered 400 and logged at Debug,
    /// not as the handler's failure (SPEC 12). Only this very object: the same type thrown for a handler's own mistake
    /// stays an error.
    /// </summary>
    internal Exception? ClientRefusal { get; private set; }

    /// <summary>Records <paramref name="exception"/> as the client's doing (<see cref="ClientRefusal"/>) and returns it, to be thrown.</summary>
    internal TException RefuseClient<TException>(TException exception)
        where TException : Exception
    {
        ClientRefusal = exception;
        return exception;
    }

    /// <summary>Set once the request has been upgraded (a WebSocket): completes when the upgraded connection is done with.</summary>
    internal Task? Upgraded { get; set; }

    private QueryParameterMap Query => _query ??= RequestTarget.ParseQuery(RequestTarget.Query(RawTarget));

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {RawTarget} HTTP/{ProtocolVersion}";

    private bool HasConnectionToken(string token) => HeaderTokens.Contains(_request.Headers.Connection, token);

    private Uri BuildRequestedUri()
    {
        var target = RawTarget;
        if (Uri.IsAbsoluteUri)
        {
            return Uri;
        }

        var headers = _request.Headers;
        var forwarded = FirstToken(headers["X-Forwarded-Proto"]);
        var scheme = forwarded is not null && Uri.CheckSchemeName(forwarded) ? forwarded : _secure ? "https" : "http"; // a client's header must not make this throw
        var host = FirstToken(headers["X-Forwarded-Host"]) ?? FirstToken(headers.Host);
        if (host is not null && Uri.TryCreate($"{scheme}://{host}{target}", UriKind.Absolute, out var requested))
        {
            return requested;
        }

        var info = ConnectionInfo;
        var local = _features.Get<IHttpConnectionFeature>()?.LocalIpAddress;
        var localHost = local is null ? "localhost"
            : local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
        var authority = $"{localHost}:{info?.LocalPort ?? 0}";
        return Uri.TryCreate($"{scheme}://{authority}{target}", UriKind.Absolute, out requested)
            ? requested
            : new Uri($"{scheme}://{authority}/");
    }

    private static string? FirstToken(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0 || values[0] is not { Length: > 0 } first)
        {
            return null;
        }

        var comma = first.IndexOf(',');
        return (comma < 0 ? first : first[..comma]).Trim();
    }
}
