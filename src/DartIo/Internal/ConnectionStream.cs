using System.Net.Sockets;
using System.Runtime.CompilerServices;
using DartIo.Internal.Listening;

namespace DartIo.Internal;

/// <summary>
/// The byte stream of a connection: a <see cref="NetworkStream"/> that also tracks when each direction has
/// closed, so that <see cref="Done"/> can complete once both have and the socket can be released.
/// </summary>
/// <remarks>
/// <para>
/// Every byte through it is counted on <c>dartio.connection.io</c> (docs/observability.md) when that counter has a
/// listener: the wire's bytes, so under TLS the encrypted ones, handshake included.
/// </para>
/// The read direction closes when a read returns end-of-stream or fails; the write direction when
/// <see cref="ShutdownSend"/> runs or a write fails. <see cref="Destroy"/> closes both at once.
/// </remarks>
internal sealed class ConnectionStream : NetworkStream
{
    private const int ReadSide = 1;
    private const int WriteSide = 2;
    private const int BothSides = ReadSide | WriteSide;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AcceptedConnection? _accepted;
    private int _closedSides;

    /// <param name="socket">The connection's socket; the stream owns it.</param>
    /// <param name="accepted">For an accepted connection, its place in the server's limits: given back when the socket is released.</param>
    public ConnectionStream(Socket socket, AcceptedConnection? accepted = null)
        : base(socket, ownsSocket: true)
    {
        _accepted = accepted;
    }

    /// <summary>Completes when both directions are closed and the socket is released.</summary>
    public Task Done => _done.Task;

    /// <summary>Sends FIN after everything written so far; the peer reads end-of-stream and may still send.</summary>
    public void ShutdownSend()
    {
        if ((Volatile.Read(ref _closedSides) & WriteSide) != 0)
        {
            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer is gone already; the direction is closed all the same.
        }

        MarkClosed(WriteSide);
    }

    /// <summary>Marks the receiving direction closed: a layer above (TLS) reached its end-of-stream without reading the transport's.</summary>
    public void MarkReceiveClosed() => MarkClosed(ReadSide);

    /// <summary>Closes both directions now and releases the socket.</summary>
    public void Destroy() => MarkClosed(BothSides);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return ObserveRead(base.Read(buffer), buffer.Length);
        }
        catch (IOException)
        {
            MarkClosed(ReadSide);
            throw;
        }
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = base.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(ObserveRead(read.Result, buffer.Length)) : AwaitRead(read, buffer.Length);
    }

    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            base.Write(buffer);
            DartIoMetrics.Transferred(_accepted?.Listener, DartIoMetrics.Transmit, buffer.Length);
        }
        catch (IOException)
        {
            MarkClosed(WriteSide);
            throw;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var write = base.WriteAsync(buffer, cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            DartIoMetrics.Transferred(_accepted?.Listener, DartIoMetrics.Transmit, buffer.Length);
            return default;
        }

        return AwaitWrite(write, buffer.Length);
    }

    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Interlocked.Exchange(ref _closedSides, BothSides);
            _accepted?.Release();
            _done.TrySetResult();
        }
    }

    // Pooled state machines: a ping-pong read or write that has to wait costs no allocation (bench case 5).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitRead(ValueTask<int> read, int requested)
    {
        try
        {
            return ObserveRead(await read.ConfigureAwait(false), requested);
        }
        catch (IOException)
        {
            MarkClosed(ReadSide);
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWrite(ValueTask write, int length)
    {
        try
        {
            await write.ConfigureAwait(false);
            DartIoMetrics.Transferred(_accepted?.Listener, DartIoMetrics.Transmit, length);
        }
        catch (IOException)
        {
            MarkClosed(WriteSide);
            throw;
        }
    }

    /// <summary>A read of nothing into a non-empty buffer is end-of-stream; a zero-byte read only waits for data.</summary>
    private int ObserveRead(int count, int requested)
    {
        if (count == 0 && requested > 0)
        {
            MarkClosed(ReadSide);
        }

        DartIoMetrics.Transferred(_accepted?.Listener, DartIoMetrics.Receive, count);

        return count;
    }

    private void MarkClosed(int sides)
    {
        var before = Interlocked.Or(ref _closedSides, sides);
        if ((before | sides) == BothSides && before != BothSides)
        {
            Dispose();
        }
    }
}
