using System.Net.WebSockets;

namespace DartIo.Http.Internal.WebSockets;

/// <summary>
/// The stream of an upgraded connection (<c>HttpResponse.TakeOverAsync</c>), handed to a WebSocket or a detached
/// <see cref="SocketConnection"/>: it tells the server when its owner has let go of it (disposed it, which a WebSocket
/// does once closed or aborted, and a detached connection on close), so the request can end, and cuts
/// the connection when the WebSocket was aborted (a keep-alive ping went unanswered): Kestrel's stream does not
/// end a pending read when disposed, and the peer is not listening anyway.
/// </summary>
internal sealed class UpgradedStream(Stream inner, Action released, Action abortConnection) : Stream
{
    private int _released;

    /// <summary>The WebSocket over this stream, set once it is made.</summary>
    public WebSocket? Owner { get; set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
        {
            AbortIfAborted();
            inner.Dispose();
            released();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            AbortIfAborted();
            await inner.DisposeAsync().ConfigureAwait(false);
            released();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void AbortIfAborted()
    {
        if (Owner is { State: WebSocketState.Aborted })
        {
            abortConnection();
        }
    }
}
