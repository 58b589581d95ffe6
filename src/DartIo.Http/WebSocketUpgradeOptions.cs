namespace DartIo;

/// <summary>
/// How <see cref="WebSocketTransformer.UpgradeAsync(HttpRequest, WebSocketUpgradeOptions)"/> answers an upgrade
/// request and what the WebSocket it returns tolerates from the client: the subprotocol, compression, the largest
/// message and how long a silent connection is kept. Every property is usable at its default.
/// </summary>
/// <remarks>
/// The values are read when <c>UpgradeAsync</c> is called, so one instance can serve every request.
/// </remarks>
public sealed class WebSocketUpgradeOptions
{
    /// <summary>The default <see cref="MaxMessageSize"/>: 16 MiB.</summary>
    public const long DefaultMaxMessageSize = 16 * 1024 * 1024;

    private long? _maxMessageSize = DefaultMaxMessageSize;
    private TimeSpan? _idleTimeout;

    /// <summary>
    /// Picks the subprotocol from those the client offers (<c>Sec-WebSocket-Protocol</c>), most preferred first;
    /// called only when the client offers some. null (the default), or a null result, selects none. Mirrors the
    /// <c>protocolSelector</c> of Dart's <c>WebSocketTransformer.upgrade</c>.
    /// </summary>
    public Func<IReadOnlyList<string>, string?>? ProtocolSelector { get; set; }

    /// <summary>
    /// True (the default) to accept the client's <c>permessage-deflate</c> offer, if it makes one. Mirrors the
    /// <c>compression</c> of Dart's <c>WebSocketTransformer.upgrade</c>.
    /// </summary>
    public bool Compression { get; set; } = true;

    /// <summary>
    /// The largest message, in bytes, the WebSocket takes from the client, counted after decompression;
    /// <see cref="DefaultMaxMessageSize"/> (16 MiB) by default, null for no limit.
    /// </summary>
    /// <remarks>
    /// When a message grows past the limit, the WebSocket sends a close frame with
    /// <see cref="System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig"/> (1009), aborts the connection, and the
    /// pending <c>ReceiveAsync</c> fails with a <see cref="System.Net.WebSockets.WebSocketException"/>. The bytes of
    /// the message up to the limit have been handed to the application by then; nothing beyond them is read or
    /// inflated, so a small compressed message that would inflate to gigabytes costs no more than the limit.
    /// Dart has no such limit.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public long? MaxMessageSize
    {
        get => _maxMessageSize;
        set
        {
            if (value is { } size)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(size, 0);
            }

            _maxMessageSize = value;
        }
    }

    /// <summary>
    /// How long the client may stay silent before the WebSocket pings it, and then how long it has to answer:
    /// null (the default) takes the server's <see cref="HttpServer.IdleTimeout"/> (120 s unless changed, never when
    /// that is null); <see cref="Timeout.InfiniteTimeSpan"/> for never. Close to Dart's <c>WebSocket.pingInterval</c>.
    /// </summary>
    /// <remarks>
    /// Any frame from the client counts as activity. After a timeout of silence the WebSocket sends a ping; when
    /// no pong (nor anything else) has come back a timeout later, it aborts the connection, and a pending
    /// <c>ReceiveAsync</c> fails with a <see cref="System.Net.WebSockets.WebSocketException"/>. This also ends a
    /// client that announces a large frame and then sends nothing. The clock is checked every quarter timeout, so
    /// a silent client is gone after two to two and a quarter timeouts. .NET reads the pong inside
    /// <c>ReceiveAsync</c>: keep one pending (as an application must anyway, to see the client's close), or the
    /// connection is closed after two timeouts whatever the client answers.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative, other than <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public TimeSpan? IdleTimeout
    {
        get => _idleTimeout;
        set
        {
            if (value is { } timeout && timeout != Timeout.InfiniteTimeSpan)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
            }

            _idleTimeout = value;
        }
    }
}
