using Microsoft.Win32.SafeHandles;

namespace DartIo.Cli.Serving;

/// <summary>A read-only stream over a range of a file, read with positional reads (no seeking, no shared position).</summary>
internal sealed class FileSegmentStream(SafeFileHandle file, long offset, long length) : Stream
{
    private long _read;
    private long _delivered;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    /// <summary>
    /// The bytes the reader has taken and then come back for more: all it read but the last chunk, and everything once
    /// it reads the end. <see cref="HttpResponse.AddStreamAsync"/> reads again only once the connection has accepted
    /// what it read before (or buffered it, up to 32 KiB), and stops reading when the client has gone, so this is what
    /// the connection took: more than the client received by what was still in the server's and the kernel's buffers.
    /// </summary>
    public long Delivered => _delivered;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _delivered = _read;
        var count = Clamp(buffer.Length);
        var read = count == 0 ? 0 : RandomAccess.Read(file, buffer[..count], offset + _read);
        _read += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _delivered = _read;
        var count = Clamp(buffer.Length);
        var read = count == 0 ? 0 : await RandomAccess.ReadAsync(file, buffer[..count], offset + _read, cancellationToken).ConfigureAwait(false);
        _read += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Clamp(int wanted) => (int)Math.Min(wanted, length - _read);
}
