namespace DartIo;

/// <content>
/// Kestrel's request limits, as flat properties over the server's own <c>KestrelServerOptions.Limits</c>. The defaults
/// are Kestrel's. Kestrel is started when the server binds and reads these limits from that same object as requests
/// and connections arrive, so a change applies live: to requests that start after it (HTTP/1.1 line, headers and body
/// limits) or to connections accepted after it (<see cref="RequestHeadersTimeout"/> and the HTTP/2 settings). Set
/// them before <see cref="Listen"/> to have every request see the same limits. The keep-alive timeout is
/// <see cref="IdleTimeout"/>, and the response rate <see cref="MinResponseDataRate"/>.
/// </content>
public sealed partial class HttpServer
{
    /// <summary>The smallest HTTP/2 frame size (RFC 9113 §6.5.2, <c>SETTINGS_MAX_FRAME_SIZE</c>): 2^14.</summary>
    private const int Http2MinFrameSize = 16 * 1024;

    /// <summary>The largest HTTP/2 frame size (RFC 9113 §6.5.2): 2^24 - 1.</summary>
    private const int Http2MaxFrameSizeLimit = (16 * 1024 * 1024) - 1;

    /// <summary>The smallest HTTP/2 flow-control window (RFC 9113 §6.9.2): 65,535.</summary>
    private const int Http2MinWindowSize = 65_535;

    private int? _minRequestBodyDataRate = 240;
    private TimeSpan _requestBodyRateGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest request body the server reads, in bytes: 30,000,000 (Kestrel's default) by default; null for no
    /// limit. A handler raises or lowers it for one request with <see cref="HttpRequest.MaxRequestBodySize"/>. A change
    /// applies to requests that start after it.
    /// </summary>
    /// <remarks>
    /// A request whose <c>Content-Length</c> is larger is refused when its handler starts reading the body; a chunked
    /// body that grows past the limit is refused when it does. The read throws Kestrel's
    /// <see cref="Microsoft.AspNetCore.Http.BadHttpRequestException"/> (status 413); a <see cref="Listen"/> handler
    /// that lets it escape gets a 413 response with <c>Connection: close</c> (logged at Debug), not a 500. A handler
    /// that never reads the body is not refused: Kestrel drains or closes the connection after the response.
    /// Kestrel's <c>KestrelServerLimits.MaxRequestBodySize</c>. Set it before serving: Kestrel reads the 16-byte value
    /// without a lock, so a request that starts while it changes could see it half-written.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Negative.</exception>
    public long? MaxRequestBodySize
    {
        get => _options.Limits.MaxRequestBodySize;
        set
        {
            if (value is { } size)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(size, nameof(value));
            }

            _options.Limits.MaxRequestBodySize = value;
        }
    }

    /// <summary>
    /// The most header fields an HTTP/1.1 request may carry: 100 (Kestrel's default). A request with more is answered
    /// 431 without calling the handler. A change applies to requests that start after it. Kestrel's
    /// <c>KestrelServerLimits.MaxRequestHeaderCount</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int MaxRequestHeaderCount
    {
        get => _options.Limits.MaxRequestHeaderCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _options.Limits.MaxRequestHeaderCount = value;
        }
    }

    /// <summary>
    /// The most bytes the header fields of a request may take, names, values and line ends included, the request line
    /// not: 32,768 (32 KiB, Kestrel's default). A larger header section is answered 431 without calling the handler.
    /// For HTTP/2 it bounds the decoded header list. A change applies to requests that start after it. Kestrel's
    /// <c>KestrelServerLimits.MaxRequestHeadersTotalSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int MaxRequestHeadersTotalSize
    {
        get => _options.Limits.MaxRequestHeadersTotalSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _options.Limits.MaxRequestHeadersTotalSize = value;
        }
    }

    /// <summary>
    /// The longest HTTP/1.1 request line (method, target, version and its line end), in bytes: 8,192 (8 KiB, Kestrel's
    /// default). A longer one is answered 414 without calling the handler. A change applies to requests that start
    /// after it. Kestrel's <c>KestrelServerLimits.MaxRequestLineSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int MaxRequestLineSize
    {
        get => _options.Limits.MaxRequestLineSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _options.Limits.MaxRequestLineSize = value;
        }
    }

    /// <summary>
    /// How long a connection may take to send a request's headers, from their first byte: 30 s (Kestrel's default).
    /// A client slower than that (slowloris) is answered 408 and closed. A change applies to connections accepted
    /// after it. Kestrel's <c>KestrelServerLimits.RequestHeadersTimeout</c>.
    /// </summary>
    /// <remarks>Kestrel checks timeouts once a second, so the connection ends up to a second or two after the timeout.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative, other than <see cref="Timeout.InfiniteTimeSpan"/> (no limit).</exception>
    public TimeSpan RequestHeadersTimeout
    {
        get => _options.Limits.RequestHeadersTimeout == TimeSpan.MaxValue ? Timeout.InfiniteTimeSpan : _options.Limits.RequestHeadersTimeout;
        set
        {
            if (value != Timeout.InfiniteTimeSpan)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            }

            _options.Limits.RequestHeadersTimeout = value;
        }
    }

    /// <summary>
    /// The slowest a client may send a request body, in bytes per second, once the handler reads it: 240 (Kestrel's
    /// default); null for no limit. A body may fall behind for <see cref="MinRequestBodyDataRateGracePeriod"/> (5 s)
    /// before the rate counts. A change applies to requests that start after it.
    /// </summary>
    /// <remarks>
    /// A body slower than that fails the handler's read with Kestrel's
    /// <see cref="Microsoft.AspNetCore.Http.BadHttpRequestException"/> (status 408); a <see cref="Listen"/> handler that
    /// lets it escape gets a 408 response with <c>Connection: close</c> (logged at Debug). Kestrel's
    /// <c>KestrelServerLimits.MinRequestBodyDataRate</c>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int? MinRequestBodyDataRate
    {
        get => _minRequestBodyDataRate;
        set
        {
            if (value is { } rate)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate, nameof(value));
            }

            _minRequestBodyDataRate = value;
            _options.Limits.MinRequestBodyDataRate = MinDataRateFor(value, _requestBodyRateGracePeriod);
        }
    }

    /// <summary>
    /// How long a request body may fall behind <see cref="MinRequestBodyDataRate"/> before the rate counts: 5 s
    /// (Kestrel's default), more than 1 s. A change applies to requests that start after it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) 1 s or less (Kestrel checks rates once a second).</exception>
    public TimeSpan MinRequestBodyDataRateGracePeriod
    {
        get => _requestBodyRateGracePeriod;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, s_kestrelTick);
            _requestBodyRateGracePeriod = value;
            _options.Limits.MinRequestBodyDataRate = MinDataRateFor(_minRequestBodyDataRate, value);
        }
    }

    /// <summary>
    /// The most streams (requests) an HTTP/2 connection may have open at once: 100 (Kestrel's default), announced
    /// as <c>SETTINGS_MAX_CONCURRENT_STREAMS</c>; a client that opens more has the extra streams refused. A change
    /// applies to connections accepted after it. Kestrel's <c>Http2Limits.MaxStreamsPerConnection</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int Http2MaxStreamsPerConnection
    {
        get => _options.Limits.Http2.MaxStreamsPerConnection;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _options.Limits.Http2.MaxStreamsPerConnection = value;
        }
    }

    /// <summary>
    /// The largest HTTP/2 frame payload the server accepts, in bytes: 16,384 (Kestrel's default, the protocol's
    /// minimum), announced as <c>SETTINGS_MAX_FRAME_SIZE</c>. A change applies to connections accepted after it.
    /// Kestrel's <c>Http2Limits.MaxFrameSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Outside 16,384 to 16,777,215 (2^14 to 2^24 - 1, RFC 9113 §6.5.2).</exception>
    public int Http2MaxFrameSize
    {
        get => _options.Limits.Http2.MaxFrameSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Http2MinFrameSize);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Http2MaxFrameSizeLimit);
            _options.Limits.Http2.MaxFrameSize = value;
        }
    }

    /// <summary>
    /// The largest HTTP/2 header field, name and value decoded, in bytes: 32,768 (32 KiB, Kestrel 10's default; older
    /// Kestrels documented 8 KiB and then 16 KiB). A larger field ends the connection with a <c>COMPRESSION_ERROR</c>
    /// or refuses the stream. A change applies to connections accepted after it. Kestrel's
    /// <c>Http2Limits.MaxRequestHeaderFieldSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public int Http2MaxRequestHeaderFieldSize
    {
        get => _options.Limits.Http2.MaxRequestHeaderFieldSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _options.Limits.Http2.MaxRequestHeaderFieldSize = value;
        }
    }

    /// <summary>
    /// How many bytes of request bodies, over all streams of an HTTP/2 connection, the server buffers before the
    /// client must wait for the handlers to read: 1,048,576 (1 MiB, Kestrel's default), the connection's
    /// flow-control window. A change applies to connections accepted after it. Kestrel's
    /// <c>Http2Limits.InitialConnectionWindowSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Less than 65,535 (the protocol's initial window).</exception>
    public int Http2InitialConnectionWindowSize
    {
        get => _options.Limits.Http2.InitialConnectionWindowSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Http2MinWindowSize);
            _options.Limits.Http2.InitialConnectionWindowSize = value;
        }
    }

    /// <summary>
    /// How many bytes of one request's body the server buffers before the client must wait for the handler to read:
    /// 786,432 (768 KiB, Kestrel's default), announced as <c>SETTINGS_INITIAL_WINDOW_SIZE</c>. A change applies to
    /// connections accepted after it. Kestrel's <c>Http2Limits.InitialStreamWindowSize</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Less than 65,535 (the protocol's initial window).</exception>
    public int Http2InitialStreamWindowSize
    {
        get => _options.Limits.Http2.InitialStreamWindowSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Http2MinWindowSize);
            _options.Limits.Http2.InitialStreamWindowSize = value;
        }
    }
}
