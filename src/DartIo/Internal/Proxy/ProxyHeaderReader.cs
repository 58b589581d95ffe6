using System.Buffers;
using System.Net.Sockets;

namespace DartIo.Internal.Proxy;

// Design: reading a PROXY header without reading past it (SPEC 8: "nothing is read past the header").
//
// The header is followed at once by the connection's own bytes (often in the same segment), and whatever comes
// after the header must reach the next stage (the TLS handshake, Kestrel, the user) untouched, with no copy held
// here. So the reader LOOKS before it TAKES: it peeks (recv with MSG_PEEK, at most 107 bytes, the longest v1 line)
// and parses what it sees, and only then receives exactly the bytes it knows are the header's:
//
//   - complete header in view       -> receive exactly its length; done (the usual case: one peek, one receive).
//   - v1 line without its CRLF yet  -> every byte seen is the line's: receive them all (kept, with the bytes taken
//                                      before, in a pooled 128-byte buffer), then peek again, which waits for more.
//   - v2 signature (12 bytes) seen  -> the first 16 bytes are the header's, and they hold its length: receive
//                                      exactly 16, then exactly the rest (into a pooled buffer of that size); no
//                                      more peeking.
//   - part of a signature only      -> Required: taken like a v1 line (anything else fails the connection anyway).
//     ("PRO", "\r\n\r\n")              Optional: may be the connection's own bytes, so nothing is taken; peeking
//                                      again would return at once, so it waits with short bounded back-off delays
//                                      (1-50 ms) before looking again. Rare: senders write a header at once.
//   - not a header ("GET ", 0x16..)  -> Optional: null, nothing taken. Required: refused.
//   - malformed, or the peer ends   -> refused (ProxyProtocolException, the reason for the Debug log).
//
// Time is bounded by the caller's token (the handshake timeout). Memory per connection is one pooled buffer of 128
// bytes, and for a v2 header longer than that one pooled buffer of its length (at most 16 + 4096 bytes); the parsed
// header copies its TLVs out, so nothing pooled escapes.

/// <summary>Reads the PROXY protocol header at the start of a connected socket, taking exactly its bytes.</summary>
internal static class ProxyHeaderReader
{
    /// <summary>The waits between looks while only part of a signature is in and nothing may be taken (Optional).</summary>
    private static readonly TimeSpan[] PrefixBackoff =
    [
        TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(5),
        TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(50),
    ];

    /// <summary>
    /// Reads the header at the start of <paramref name="socket"/>'s stream, receiving exactly its bytes and never
    /// any after it.
    /// </summary>
    /// <remarks>
    /// When the task completes with a header, the socket's next byte is the first one after the header. When it
    /// completes with null (not <paramref name="required"/>, and the connection does not begin with a signature),
    /// nothing was taken from the socket.
    /// </remarks>
    /// <param name="socket">A connected stream socket from which nothing has been read yet.</param>
    /// <param name="required">
    /// True: the connection must begin with a header (<see cref="ProxyProtocolMode.Required"/>), and parts of a
    /// signature may be taken while waiting for the rest. False (<see cref="ProxyProtocolMode.Optional"/>): a
    /// connection that does not begin with a signature is left as it is.
    /// </param>
    /// <param name="cancellationToken">Ends the wait (the caller's handshake timeout).</param>
    /// <returns>The header; or null when not <paramref name="required"/> and there is none (nothing taken).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    /// <exception cref="ProxyProtocolException">
    /// The header is malformed; or <paramref name="required"/> and the connection begins otherwise; or the peer
    /// ended the connection before the header was complete. The message says which.
    /// </exception>
    /// <exception cref="SocketException">The connection failed (a reset, for example).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal static ValueTask<ProxyHeader?> ReadAsync(Socket socket, bool required, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return ReadCoreAsync(socket, required, cancellationToken);
    }

    private static async ValueTask<ProxyHeader?> ReadCoreAsync(Socket socket, bool required, CancellationToken cancellationToken)
    {
        var line = ArrayPool<byte>.Shared.Rent(ProxyHeaderParser.V1MaxLength);
        var taken = 0; // the header's bytes already received, at line[..taken]
        var waits = 0;
        try
        {
            while (true)
            {
                var peeked = await socket.ReceiveAsync(line.AsMemory(taken, ProxyHeaderParser.V1MaxLength - taken), SocketFlags.Peek, cancellationToken)
                    .ConfigureAwait(false);
                if (peeked == 0)
                {
                    // The peer ended the connection. Before any byte and when optional, that is simply no header.
                    return taken == 0 && !required ? null : throw new ProxyProtocolException(Messages.ProxyEndedEarly);
                }

                var seen = taken + peeked;
                switch (ProxyHeaderParser.Parse(line.AsSpan(0, seen), out var header, out var length, out var error))
                {
                    case ProxyParseStatus.Complete:
                        await ReceiveExactlyAsync(socket, line.AsMemory(taken, length - taken), cancellationToken).ConfigureAwait(false);
                        return header;
                    case ProxyParseStatus.Invalid:
                        throw new ProxyProtocolException(error!);
                    case ProxyParseStatus.NotProxy:
                        // Nothing was taken unless required (parts of a signature), and then the connection fails anyway.
                        return required ? throw new ProxyProtocolException(Messages.ProxyNotAHeader) : null;
                }

                if (ProxyHeaderParser.HasV2Signature(line.AsSpan(0, seen)))
                {
                    return await ReadV2Async(socket, line, taken, cancellationToken).ConfigureAwait(false);
                }

                if (required || ProxyHeaderParser.HasSignature(line.AsSpan(0, seen)))
                {
                    // Every byte seen is the header's (a v1 line without its CRLF yet, or part of a signature where
                    // one is required): take them, so that the next peek waits for more instead of returning at once.
                    await ReceiveExactlyAsync(socket, line.AsMemory(taken, peeked), cancellationToken).ConfigureAwait(false);
                    taken = seen;
                    continue;
                }

                // Optional, and only part of a signature so far: these may be the connection's own bytes, so they stay.
                await Task.Delay(PrefixBackoff[Math.Min(waits++, PrefixBackoff.Length - 1)], cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line);
        }
    }

    /// <summary>
    /// Reads the rest of a version 2 header whose signature is at the start of <paramref name="line"/>, after the
    /// <paramref name="taken"/> bytes already received: exactly the fixed 16 bytes, then exactly the block they announce.
    /// </summary>
    private static async ValueTask<ProxyHeader?> ReadV2Async(Socket socket, byte[] line, int taken, CancellationToken cancellationToken)
    {
        const int Fixed = ProxyHeaderParser.V2FixedLength;
        await ReceiveExactlyAsync(socket, line.AsMemory(taken, Fixed - taken), cancellationToken).ConfigureAwait(false);
        var status = ProxyHeaderParser.Parse(line.AsSpan(0, Fixed), out var header, out var length, out var error);
        if (status != ProxyParseStatus.Incomplete)
        {
            return status == ProxyParseStatus.Complete ? header : throw new ProxyProtocolException(error!);
        }

        var whole = length <= line.Length ? line : ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.AsSpan(0, Fixed).CopyTo(whole);
            await ReceiveExactlyAsync(socket, whole.AsMemory(Fixed, length - Fixed), cancellationToken).ConfigureAwait(false);
            status = ProxyHeaderParser.Parse(whole.AsSpan(0, length), out header, out _, out error);
            return status == ProxyParseStatus.Complete ? header : throw new ProxyProtocolException(error!);
        }
        finally
        {
            if (whole != line)
            {
                ArrayPool<byte>.Shared.Return(whole);
            }
        }
    }

    /// <summary>Receives exactly <paramref name="destination"/>'s length: bytes the caller knows are the header's.</summary>
    private static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            var received = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                throw new ProxyProtocolException(Messages.ProxyEndedEarly);
            }

            destination = destination[received..];
        }
    }
}
