using System.IO.Compression;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using DartIo.Http.Internal;
using DartIo.Http.Internal.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace DartIo;

/// <summary>
/// The response to an <see cref="HttpRequest"/>: status, headers, cookies and a body written as it goes.
/// Mirrors Dart's <c>HttpResponse</c>.
/// </summary>
/// <remarks>
/// <para>
/// Headers can be changed until the body is first written to (<see cref="Write"/>, <see cref="AddAsync"/>,
/// <see cref="AddStreamAsync"/>, <see cref="FlushAsync"/>) or the response is closed; then they are sent.
/// The body goes straight into Kestrel's response pipe: nothing is buffered whole. A response whose length
/// is not set is sent with <c>Content-Length</c> when it is closed before anything was flushed, else chunked.
/// </para>
/// <para>
/// With <see cref="HttpServer.Listen"/>, the response is closed for you when the handler's task completes.
/// With <c>await foreach</c>, close it yourself (<see cref="CloseAsync"/>): the connection waits for it.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The compressing stream is disposed when the response closes; a response has no other end of life.")]
public sealed partial class HttpResponse
{
    private const int FlushThreshold = 32 * 1024;

    /// <summary>
    /// The brotli quality of <see cref="Compression"/> <c>br</c>: 3 costs about the CPU of gzip's fastest level and
    /// makes text a third smaller than it (4 costs twice that; 11, the format's default, a hundred times).
    /// </summary>
    private const int BrotliQuality = 3;

    private readonly HttpRequest _request;
    private readonly IHttpResponseFeature _response;
    private readonly IHttpResponseBodyFeature _body;
    private readonly HttpServer _server;
    private HttpHeaders? _headers;
    private List<Cookie>? _cookies;
    private PipeWriter? _writer;
    private Stream? _compressor;
    private TimeSpan? _deadline;
    private ITimer? _deadlineTimer;
    private readonly Lock _deadlineGate = new();
    private string? _compression;
    private Encoding? _encoding;
    private long _unflushed;
    private bool _flushed;
    private Task _pendingFlush = Task.CompletedTask;
    private volatile bool _connectionGone;

    internal HttpResponse(HttpRequest request, IFeatureCollection features, HttpServer server)
    {
        _request = request;
        _server = server;
        _response = features.Get<IHttpResponseFeature>()!;
        _body = features.Get<IHttpResponseBodyFeature>()!;
    }

    /// <summary>The status code; 200 by default. Mirrors Dart's <c>statusCode</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Outside 100-999.</exception>
    /// <exception cref="InvalidOperationException">(Set.) The headers have been sent.</exception>
    public int StatusCode
    {
        get => _response.StatusCode;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 100);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 999);
            ThrowIfHeadersSent();
            _response.StatusCode = value;
        }
    }

    /// <summary>The reason phrase; by default the standard one for <see cref="StatusCode"/>. Mirrors Dart's <c>reasonPhrase</c>.</summary>
    /// <exception cref="InvalidOperationException">(Set.) The headers have been sent.</exception>
    public string ReasonPhrase
    {
        get => _response.ReasonPhrase ?? ReasonPhrases.GetReasonPhrase(_response.StatusCode);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ThrowIfHeadersSent();
            _response.ReasonPhrase = value;
        }
    }

    /// <summary>
    /// The response headers; at first they hold the server's <see cref="HttpServer.DefaultResponseHeaders"/>
    /// (and its <see cref="HttpServer.ServerHeader"/>). Mirrors Dart's <c>headers</c>.
    /// </summary>
    public HttpHeaders Headers => _headers ??= HttpHeaders.ForResponse(_response.Headers, this);

    /// <summary>
    /// The <c>Content-Length</c> to send; -1 (the default) to send the body chunked, or with the length of
    /// everything written if the response is closed before anything was flushed. Writing more than the
    /// length set is an error. Mirrors Dart's <c>contentLength</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">(Set.) The headers have been sent.</exception>
    public long ContentLength
    {
        get => _response.Headers.ContentLength ?? -1;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, -1);
            ThrowIfHeadersSent();
            _response.Headers.ContentLength = value == -1 ? null : value;
        }
    }

    /// <summary>
    /// Whether the connection stays open after this response; at first what the request asked for. Setting
    /// false sends <c>Connection: close</c>. Mirrors Dart's <c>persistentConnection</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">(Set.) The headers have been sent.</exception>
    public bool PersistentConnection
    {
        get
        {
            foreach (var value in _response.Headers.Connection)
            {
                if (value is not null && value.Contains("close", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return _request.PersistentConnection;
        }

        set
        {
            ThrowIfHeadersSent();
            if (value)
            {
                _response.Headers.Remove("Connection");
            }
            else
            {
                _response.Headers.Connection = "close";
            }
        }
    }

    /// <summary>
    /// True (the default) to collect small writes and send them together; false to send every write at once,
    /// which costs a system call per write. Mirrors Dart's <c>bufferOutput</c>.
    /// </summary>
    public bool BufferOutput { get; set; } = true;

    /// <summary>Cookies to send, each as a <c>Set-Cookie</c> header when the headers are sent. Mirrors Dart's <c>cookies</c>.</summary>
    public IList<Cookie> Cookies => _cookies ??= [];

    /// <summary>
    /// The content coding the body is compressed with as it is written, chosen by the handler: <c>"gzip"</c>, or
    /// <c>"br"</c> (brotli, at a fast quality); null (the default) leaves it to <see cref="HttpServer.AutoCompress"/>.
    /// Not in Dart, whose <c>autoCompress</c> is the only way and gzip only.
    /// </summary>
    /// <remarks>
    /// <para>
    /// For a handler that must know the coding before the body starts, to give each representation its own validator
    /// (<c>ETag</c>): it reads <c>Accept-Encoding</c> itself, and sets this whatever <see cref="HttpServer.AutoCompress"/>
    /// says. The response then sends <c>Content-Encoding</c>, adds <c>Accept-Encoding</c> to <c>Vary</c>, and drops any
    /// <see cref="ContentLength"/> (the compressed length is known only at the end: the body goes chunked). A HEAD
    /// response gets the same headers and no body. Ignored for a response that has no body (204, 304, 1xx) or whose
    /// <c>Content-Encoding</c> is set already (its body is encoded).
    /// </para>
    /// <para>
    /// As with <see cref="HttpServer.AutoCompress"/>, a stream copied with <see cref="AddStreamAsync"/> stops being read
    /// (and compressed) once the client has gone.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">(Set.) Neither null, <c>"gzip"</c> nor <c>"br"</c>.</exception>
    /// <exception cref="InvalidOperationException">(Set.) The headers have been sent.</exception>
    public string? Compression
    {
        get => _compression;
        set
        {
            if (value is not (null or "gzip" or "br"))
            {
                throw new ArgumentException(HttpMessages.UnknownCompression(value), nameof(value));
            }

            ThrowIfHeadersSent();
            _compression = value;
        }
    }

    /// <summary>
    /// How long the response may take from now: when it passes before the response is done, the request is aborted
    /// (the connection closed; an HTTP/2 stream reset), <see cref="Done"/> fails, and later writes are dropped. Setting
    /// it again starts a new deadline from then; null (the default) removes it. Mirrors Dart's <c>deadline</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Negative.</exception>
    public TimeSpan? Deadline
    {
        get => _deadline;
        set
        {
            if (value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, HttpMessages.NegativeDeadline);
            }

            lock (_deadlineGate)
            {
                _deadlineTimer?.Dispose();
                _deadlineTimer = null;
                _deadline = value;
                if (value is { } due && _completion == Completion.Open)
                {
                    _deadlineTimer = _server.TimeProvider.CreateTimer(
                        static state => ((HttpResponse)state!).EndAborted("its deadline passed"), this, due, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    /// <summary>The endpoints of the connection. Mirrors Dart's <c>connectionInfo</c>.</summary>
    public HttpConnectionInfo? ConnectionInfo => _request.ConnectionInfo;

    /// <summary>True once the headers can no longer change: the body was written to, or the response was closed or sent.</summary>
    internal bool HeadersSent => _writer is not null || IsClosed || _response.HasStarted;


    internal HttpRequest Request => _request;

    internal HttpServer Server => _server;

    /// <summary>
    /// Writes text, encoded with the charset of the <c>Content-Type</c> header (UTF-8 with the default headers;
    /// ISO-8859-1 when there is no Content-Type or it names no charset, as in Dart). Mirrors Dart's <c>write</c>.
    /// </summary>
    /// <remarks>
    /// The bytes are buffered; they are sent by the next <see cref="AddAsync"/>, <see cref="FlushAsync"/> or
    /// <see cref="CloseAsync"/> (and, when <see cref="BufferOutput"/> is false, a send starts at once).
    /// </remarks>
    /// <param name="text">The text.</param>
    /// <exception cref="InvalidOperationException">The response is closed.</exception>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfClosed();
        var writer = Start();
        var encoding = _encoding ??= Charsets.ForContentType(_response.Headers.ContentType.Count == 0 ? null : _response.Headers.ContentType.ToString());
        if (text.Length == 0)
        {
            return;
        }

        long written;
        if (text.Length <= 2048)
        {
            var span = writer.GetSpan(encoding.GetMaxByteCount(text.Length));
            var count = encoding.GetBytes(text, span);
            writer.Advance(count);
            written = count;
        }
        else
        {
            written = encoding.GetBytes(text.AsSpan(), writer);
        }

        _unflushed += written;
        if (!BufferOutput && _pendingFlush.IsCompleted)
        {
            _pendingFlush = FlushWriterAsync(writer);
        }
    }

    /// <summary>Writes bytes to the body. Mirrors Dart's <c>add</c>.</summary>
    /// <remarks>
    /// The bytes are copied into the connection's buffer, so <paramref name="bytes"/> may be reused when the
    /// task completes. With <see cref="BufferOutput"/> small writes are collected; the task completes when
    /// the connection has room for more.
    /// </remarks>
    /// <param name="bytes">The bytes.</param>
    /// <returns>A task that completes when the bytes are buffered or sent.</returns>
    /// <exception cref="InvalidOperationException">The response is closed, or more than <see cref="ContentLength"/> bytes were written.</exception>
    public Task AddAsync(ReadOnlyMemory<byte> bytes)
    {
        ThrowIfClosed();
        var writer = Start();
        if (!_pendingFlush.IsCompleted)
        {
            return AddAfterFlushAsync(bytes);
        }

        if (BufferOutput && _unflushed + bytes.Length <= FlushThreshold)
        {
            // An explicit size: Kestrel's writer has no span to offer for a size hint of 0 before the response starts.
            bytes.Span.CopyTo(writer.GetSpan(bytes.Length));
            writer.Advance(bytes.Length);
            _unflushed += bytes.Length;
            return Task.CompletedTask;
        }

        _unflushed = 0;
        _flushed = true;
        var flush = writer.WriteAsync(bytes);
        if (flush.IsCompletedSuccessfully)
        {
            Observe(flush.Result);
            return Task.CompletedTask;
        }

        return AwaitFlushAsync(flush);
    }

    /// <summary>Copies a stream to the body as it is read, without holding it whole. Mirrors Dart's <c>addStream</c>.</summary>
    /// <param name="source">The stream, read to its end (and not disposed).</param>
    /// <returns>A task that completes when the stream has been read and its bytes buffered or sent.</returns>
    /// <exception cref="InvalidOperationException">The response is closed.</exception>
    public Task AddStreamAsync(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ThrowIfClosed();
        return AddStreamCoreAsync(source, Start());
    }

    /// <summary>Sends what is buffered (and the headers, if not yet sent). Mirrors Dart's <c>flush</c>.</summary>
    /// <returns>A task that completes when the bytes have been handed to the connection.</returns>
    /// <exception cref="InvalidOperationException">The response is closed.</exception>
    public Task FlushAsync()
    {
        ThrowIfClosed();
        return FlushCoreAsync(Start());
    }

    /// <summary>
    /// Redirects: sets the status and the <c>Location</c> header, then closes the response. Mirrors Dart's <c>redirect</c>.
    /// </summary>
    /// <param name="location">Where to; a relative URI is sent as it is.</param>
    /// <param name="status">The status code: 302 (the default), or 301, 303, 307, 308.</param>
    /// <returns>A task that completes when the response is closed.</returns>
    /// <exception cref="InvalidOperationException">The headers have been sent.</exception>
    public Task RedirectAsync(Uri location, int status = 302)
    {
        ArgumentNullException.ThrowIfNull(location);
        ThrowIfHeadersSent();
        StatusCode = status;
        _response.Headers.Location = location.IsAbsoluteUri ? location.AbsoluteUri : location.OriginalString;
        return CloseAsync();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{StatusCode} {ReasonPhrase}";

    /// <summary>Applies the server's default headers and Server header to a new response; Kestrel's dictionary is empty.</summary>
    internal void ApplyDefaults(KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>[] defaults, string? serverHeader)
    {
        var headers = _response.Headers;
        foreach (var header in defaults)
        {
            headers[header.Key] = header.Value;
        }

        if (serverHeader is not null)
        {
            headers.Server = serverHeader;
        }
    }

    /// <summary>Answers with a bare status when nothing was sent yet (a handler failed, the server had stopped).</summary>
    /// <returns>False when the headers had been sent already, so only aborting the connection is left.</returns>
    internal bool TryReset(int statusCode)
    {
        if (HeadersSent)
        {
            return false;
        }

        _response.StatusCode = statusCode;
        _response.ReasonPhrase = null;
        _response.Headers.Clear();
        _response.Headers.ContentLength = 0;
        _cookies?.Clear();
        return true;
    }

    /// <summary>
    /// True once the connection can take no more of this response: its client has gone (a reset, a cancelled download),
    /// or the server aborted it (a forced close). Writes are then dropped.
    /// </summary>
    internal bool ConnectionGone =>
        _connectionGone || (_request.Features.Get<IHttpRequestLifetimeFeature>()?.RequestAborted.IsCancellationRequested ?? false);

    /// <summary>
    /// Writes <see cref="Cookies"/> as <c>Set-Cookie</c> headers: the one writer of them, for a response with a body and
    /// for the 101 that upgrades to a WebSocket.
    /// </summary>
    internal void WriteCookies(IHeaderDictionary headers)
    {
        if (_request.LiveSession is { } session)
        {
            AddSessionCookie(session);
        }

        if (_cookies is { Count: > 0 } cookies)
        {
            var values = new string[cookies.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Http.Internal.Cookies.Format(cookies[i]);
            }

            headers.SetCookie = values;
        }
    }

    /// <summary>
    /// As Dart: the request's session is no longer new, and its cookie goes with the response, replacing any
    /// <c>DARTSESSID</c> cookie the handler added (so only the current id is ever sent). A handler's cookie is replaced
    /// by a copy that keeps its attributes (Domain, Expires, SameSite, Max-Age…), never changed: one cookie object may
    /// serve as a template for many responses at once, and must not carry one browser's id into another's response.
    /// </summary>
    private void AddSessionCookie(HttpSession session)
    {
        session.IsNew = false;
        var cookies = (List<Cookie>)Cookies;
        var found = false;
        for (var i = 0; i < cookies.Count; i++)
        {
            if (cookies[i].Name.Equals(SessionStore.CookieName, StringComparison.OrdinalIgnoreCase))
            {
                cookies[i] = SessionCookie(session, cookies[i]);
                found = true;
            }
        }

        if (!found)
        {
            cookies.Add(SessionCookie(session, template: null));
        }
    }

    private Cookie SessionCookie(HttpSession session, Cookie? template)
    {
        var cookie = new Cookie(SessionStore.CookieName, session.Id, "/") { HttpOnly = true };
        if (template is not null)
        {
            cookie.Domain = template.Domain;
            cookie.Expires = template.Expires;
            cookie.Secure = template.Secure;
            cookie.SameSite = template.SameSite;
            cookie.MaxAge = template.MaxAge;
        }

        cookie.Secure |= _request.IsSecure; // not Dart's (it never sets Secure): over HTTPS the id must not leak to http://
        return cookie;
    }

    /// <summary>Decides the headers that depend on the whole response (cookies, compression) and picks the body writer.</summary>
    private PipeWriter Start()
    {
        if (_writer is { } writer)
        {
            return writer;
        }

        var headers = _response.Headers;
        WriteCookies(headers);

        var coding = _compression is { } chosen ? (CanCompress(headers) ? chosen : null)
            : _server.AutoCompress && ShouldAutoCompress(headers) ? "gzip" : null;
        if (coding is not null)
        {
            headers.ContentEncoding = coding;
            if (!HeaderTokens.Contains(headers.Vary, "Accept-Encoding"))
            {
                // After what the handler varies on (Origin, say), not instead of it; one line.
                headers.Vary = headers.Vary.Count == 0 ? "Accept-Encoding" : $"{headers.Vary}, Accept-Encoding";
            }

            headers.ContentLength = null;
            if (!HttpMethods.IsHead(_request.Method))
            {
                _compressor = coding == "br"
                    ? new BrotliStream(_body.Stream, new BrotliCompressionOptions { Quality = BrotliQuality }, leaveOpen: true)
                    : new GZipStream(_body.Stream, CompressionLevel.Fastest, leaveOpen: true);
                return _writer = PipeWriter.Create(_compressor, new StreamPipeWriterOptions(leaveOpen: true));
            }
        }

        return _writer = _body.Writer;
    }

    /// <summary>Whether a body may be compressed at all: there is one (HEAD stands for a GET's), and it is not encoded already.</summary>
    private bool CanCompress(IHeaderDictionary headers) =>
        headers.ContentEncoding.Count == 0 && StatusCode is >= 200 and not 204 and not 304;

    private bool ShouldAutoCompress(IHeaderDictionary headers)
    {
        // Dart's rule: only a body of unknown length, not already encoded, for a client that accepts gzip.
        if (headers.ContentLength is not null || !CanCompress(headers) || HttpMethods.IsHead(_request.Method))
        {
            return false;
        }

        return HeaderTokens.Accepts(_request.RequestHeaders.AcceptEncoding, "gzip");
    }

    private async Task AddAfterFlushAsync(ReadOnlyMemory<byte> bytes)
    {
        await _pendingFlush.ConfigureAwait(false);
        await AddAsync(bytes).ConfigureAwait(false);
    }

    private async Task AddStreamCoreAsync(Stream source, PipeWriter writer)
    {
        await _pendingFlush.ConfigureAwait(false);
        while (true)
        {
            var memory = writer.GetMemory(FlushThreshold);
            var read = await source.ReadAsync(memory).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            writer.Advance(read);
            _unflushed += read;
            if (!BufferOutput || _unflushed >= FlushThreshold)
            {
                _unflushed = 0;
                _flushed = true;
                // A compressing writer never reports the connection gone (it writes into Kestrel's body stream, which drops
                // what comes after an abort): the request's abort says it instead.
                if (!Observe(await writer.FlushAsync().ConfigureAwait(false)) || ConnectionGone)
                {
                    break; // the client has gone; the rest would be thrown away
                }
            }
        }
    }

    /// <summary>Notes a flush that found the connection gone (its output completed or cancelled); false then.</summary>
    private bool Observe(FlushResult result)
    {
        if (result.IsCompleted || result.IsCanceled)
        {
            _connectionGone = true;
            EndAborted("the connection was aborted");
            return false;
        }

        return true;
    }

    private async Task AwaitFlushAsync(ValueTask<FlushResult> flush) => Observe(await flush.ConfigureAwait(false));

    private async Task FlushCoreAsync(PipeWriter writer)
    {
        await _pendingFlush.ConfigureAwait(false);
        _unflushed = 0;
        _flushed = true;
        Observe(await writer.FlushAsync().ConfigureAwait(false));
    }

    private async Task FlushWriterAsync(PipeWriter writer)
    {
        _unflushed = 0;
        _flushed = true;
        Observe(await writer.FlushAsync().ConfigureAwait(false));
    }

    private void ThrowIfHeadersSent()
    {
        if (HeadersSent)
        {
            throw new InvalidOperationException(HttpMessages.HeaderAlreadySent);
        }
    }
}
