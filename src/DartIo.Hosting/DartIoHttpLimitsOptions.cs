namespace DartIo;

/// <summary>
/// The limits of a hosted HTTP server (configuration section <c>DartIo:NAME:Limits</c>): the connection limits and
/// <see cref="HttpServer"/>'s request limits over Kestrel's. A setting left out keeps the server's default (Kestrel's);
/// for the limits that can be switched off, <c>-1</c> means no limit.
/// </summary>
public sealed class DartIoHttpLimitsOptions : DartIoConnectionLimitsOptions
{
    /// <summary>
    /// <see cref="HttpServer.MaxRequestBodySize"/> in bytes (default 30,000,000, Kestrel's); -1: no limit. A handler
    /// may still change it per request (<see cref="HttpRequest.MaxRequestBodySize"/>).
    /// </summary>
    public long? MaxRequestBodySize { get; set; }

    /// <summary><see cref="HttpServer.MaxRequestHeaderCount"/> (default 100).</summary>
    public int? MaxRequestHeaderCount { get; set; }

    /// <summary><see cref="HttpServer.MaxRequestHeadersTotalSize"/> in bytes (default 32 KiB).</summary>
    public int? MaxRequestHeadersTotalSize { get; set; }

    /// <summary><see cref="HttpServer.MaxRequestLineSize"/> in bytes (default 8 KiB).</summary>
    public int? MaxRequestLineSize { get; set; }

    /// <summary><see cref="HttpServer.RequestHeadersTimeout"/> (default 30 s).</summary>
    public TimeSpan? RequestHeadersTimeout { get; set; }

    /// <summary><see cref="HttpServer.MinRequestBodyDataRate"/> in bytes per second (default 240); -1: no minimum.</summary>
    public int? MinRequestBodyDataRate { get; set; }

    /// <summary><see cref="HttpServer.MinRequestBodyDataRateGracePeriod"/> (default 5 s).</summary>
    public TimeSpan? MinRequestBodyDataRateGracePeriod { get; set; }

    /// <summary><see cref="HttpServer.MinResponseDataRate"/> in bytes per second (default 4096); -1: no minimum.</summary>
    public int? MinResponseDataRate { get; set; }

    /// <summary><see cref="HttpServer.MinResponseDataRateGracePeriod"/> (default 30 s).</summary>
    public TimeSpan? MinResponseDataRateGracePeriod { get; set; }

    /// <summary>
    /// <see cref="HttpServer.IdleTimeout"/>, which is also the keep-alive timeout (default 120 s); a negative value
    /// (<c>-1</c>, read as minus one day) means never.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary><see cref="HttpServer.Http2MaxStreamsPerConnection"/> (default 100).</summary>
    public int? Http2MaxStreamsPerConnection { get; set; }

    /// <summary><see cref="HttpServer.Http2MaxFrameSize"/> in bytes (default 16 KiB).</summary>
    public int? Http2MaxFrameSize { get; set; }

    /// <summary><see cref="HttpServer.Http2MaxRequestHeaderFieldSize"/> in bytes (default 16 KiB).</summary>
    public int? Http2MaxRequestHeaderFieldSize { get; set; }

    /// <summary><see cref="HttpServer.Http2InitialConnectionWindowSize"/> in bytes (default 1 MiB).</summary>
    public int? Http2InitialConnectionWindowSize { get; set; }

    /// <summary><see cref="HttpServer.Http2InitialStreamWindowSize"/> in bytes (default 768 KiB).</summary>
    public int? Http2InitialStreamWindowSize { get; set; }
}
