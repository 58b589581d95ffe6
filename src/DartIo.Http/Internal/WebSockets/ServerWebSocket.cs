using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Http.Internal.WebSockets;

/// <summary>
/// The WebSocket <see cref="WebSocketTransformer"/> hands out: .NET's, with the server's limits reported the way an
/// application expects. It counts what each receive hands the application (after inflation) and, when a message
/// grows past the maximum, closes with 1009 and lets go of the connection; a receive that fails because .NET's
/// keep-alive aborted the WebSocket (no pong in time) fails with a <see cref="WebSocketException"/>, not the bare
/// <see cref="OperationCanceledException"/> of an abort. Everything else goes straight to the WebSocket inside.
/// </summary>
/// <remarks>
/// .NET's WebSocket inflates into the caller's buffer, a buffer at a time, so counting here stops a compressed
/// message that would inflate to gigabytes after the maximum plus one buffer, never holding more than one buffer.
/// </remarks>
internal sealed class ServerWebSocket(WebSocket inner, long maxMessageSize, ILogger logger) : WebSocket
{
    /// <summary>How long the 1009 close frame may take to go out before the connection is let go without it.</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(5);

    private long _messageSize;
    private volatile bool _abortedByApplication;

    public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

    public override string? CloseStatusDescription => inner.CloseStatusDescription;

    public override WebSocketState State => inner.State;

    public override string? SubProtocol => inner.SubProtocol;

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage, inner.CloseStatus, inner.CloseStatusDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ValueWebSocketReceiveResult result;
        try
        {
            result = await inner.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (IsKeepAliveAbort(cancellationToken))
        {
            throw KeepAliveAborted(ex);
        }

        await CountAsync(result.MessageType, result.Count, result.EndOfMessage).ConfigureAwait(false);
        return result;
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken) =>
        inner.SendAsync(buffer, messageType, messageFlags, cancellationToken);

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Abort()
    {
        _abortedByApplication = true;
        inner.Abort();
    }

    public override void Dispose() => inner.Dispose();

    /// <summary>Aborted while the caller did not cancel nor abort: .NET's keep-alive gave up on the client (or the connection was cut).</summary>
    private bool IsKeepAliveAbort(CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && !_abortedByApplication && inner.State == WebSocketState.Aborted;

    private WebSocketException KeepAliveAborted(OperationCanceledException ex)
    {
        HttpLog.WebSocketAborted(logger);
        return new WebSocketException(WebSocketError.Faulted, HttpMessages.WebSocketAborted, ex);
    }

    private ValueTask CountAsync(WebSocketMessageType type, int count, bool endOfMessage)
    {
        if (type == WebSocketMessageType.Close)
        {
            return ValueTask.CompletedTask;
        }

        var size = _messageSize + count;
        _messageSize = endOfMessage ? 0 : size;
        return size > maxMessageSize ? new ValueTask(RefuseAsync(size)) : ValueTask.CompletedTask;
    }

    /// <summary>Closes with 1009 (as far as the client lets the close frame out in time), lets go of the connection, and fails the receive.</summary>
    private async Task RefuseAsync(long size)
    {
        HttpLog.WebSocketMessageTooBig(logger, size, maxMessageSize);
        try
        {
            using var timeout = new CancellationTokenSource(s_closeTimeout);
            await inner.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, HttpMessages.WebSocketMessageTooBigReason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is going anyway: letting go of it below is what matters.
        }

        // Not Abort, which would cut the connection under the close frame: disposed, the WebSocket reads no more,
        // and the connection closes, close frame sent, when the request ends.
        inner.Dispose();
        throw new WebSocketException(WebSocketError.Faulted, HttpMessages.WebSocketMessageTooBig(maxMessageSize));
    }
}
