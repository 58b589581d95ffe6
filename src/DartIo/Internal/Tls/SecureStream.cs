using System.Net.Security;

namespace DartIo.Internal.Tls;

/// <summary>
/// The <see cref="SocketConnection.Stream"/> of a secure connection: its <see cref="SslStream"/>, telling the transport
/// when the TLS stream ends (the peer's close_notify), since SslStream then stops reading the transport and the
/// transport would never see its own end-of-stream.
/// </summary>
internal sealed class SecureStream(SslStream ssl, ConnectionStream transport) : Stream
{
    public SslStream Ssl => ssl;

    public override bool CanRead => ssl.CanRead;

    public override bool CanWrite => ssl.CanWrite;

    public override bool CanSeek => false;

    public override bool CanTimeout => ssl.CanTimeout;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int ReadTimeout
    {
        get => ssl.ReadTimeout;
        set => ssl.ReadTimeout = value;
    }

    public override int WriteTimeout
    {
        get => ssl.WriteTimeout;
        set => ssl.WriteTimeout = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Observe(ssl.Read(buffer), buffer.Length);
        }
        catch (IOException)
        {
            transport.MarkReceiveClosed();
            throw;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = ssl.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(Observe(read.Result, buffer.Length)) : AwaitRead(read, buffer.Length);
    }

    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    public override void Write(byte[] buffer, int offset, int count) => ssl.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => ssl.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ssl.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        ssl.WriteAsync(buffer, cancellationToken);

    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    public override void Flush() => ssl.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => ssl.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ssl.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<int> AwaitRead(ValueTask<int> read, int requested)
    {
        try
        {
            return Observe(await read.ConfigureAwait(false), requested);
        }
        catch (IOException)
        {
            transport.MarkReceiveClosed();
            throw;
        }
    }

    /// <summary>A read of nothing into a non-empty buffer is the end of the TLS stream.</summary>
    private int Observe(int count, int requested)
    {
        if (count == 0 && requested > 0)
        {
            transport.MarkReceiveClosed();
        }

        return count;
    }
}
