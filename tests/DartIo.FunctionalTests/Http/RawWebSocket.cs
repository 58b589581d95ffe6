using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// A WebSocket client built by hand over a socket, for what ClientWebSocket will not do: announce a frame and
/// send nothing more, send a compressed frame it did not compress, leave pings unanswered, or count them.
/// </summary>
internal sealed class RawWebSocket : IDisposable
{
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawWebSocket(Socket socket, string? extensions)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Extensions = extensions;
    }

    /// <summary>The <c>Sec-WebSocket-Extensions</c> the server answered with, if any.</summary>
    public string? Extensions { get; }

    /// <summary>Connects and does the HTTP/1.1 handshake, offering <paramref name="extensions"/> if given.</summary>
    public static async Task<RawWebSocket> ConnectAsync(int port, string? extensions = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(HttpTesting.Timeout);
        var request = new StringBuilder()
            .Append("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append("Sec-WebSocket-Key: ").Append(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))).Append("\r\n")
            .Append("Sec-WebSocket-Version: 13\r\n");
        if (extensions is not null)
        {
            request.Append("Sec-WebSocket-Extensions: ").Append(extensions).Append("\r\n");
        }

        await socket.SendAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString())).WaitAsync(HttpTesting.Timeout);

        // The response head, a byte at a time so that no frame byte is read with it.
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await socket.ReceiveAsync(one).WaitAsync(HttpTesting.Timeout) == 0)
            {
                throw new EndOfStreamException("The server closed the connection during the handshake.");
            }

            head.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("HTTP/1.1 101", lines[0], StringComparison.Ordinal);
        var answered = lines.Skip(1)
            .Where(line => line.StartsWith("Sec-WebSocket-Extensions:", StringComparison.OrdinalIgnoreCase))
            .Select(line => line[(line.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault();
        return new RawWebSocket(socket, answered);
    }

    /// <summary>Sends one masked frame: FIN set, RSV1 (compressed) if asked.</summary>
    public Task SendFrameAsync(byte opcode, ReadOnlyMemory<byte> payload, bool compressed = false) =>
        SendAsync(Header(opcode, payload.Length, compressed, out var mask), Masked(payload.Span, mask));

    /// <summary>Sends only the header of a masked binary frame that claims <paramref name="length"/> bytes of payload.</summary>
    public Task SendHeaderAsync(long length) => SendAsync(Header(Binary, length, compressed: false, out _), []);

    /// <summary>Reads the next frame; null when the server has closed the connection (end of stream or reset).</summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        try
        {
            var head = new byte[2];
            await _stream.ReadExactlyAsync(head);
            long length = head[1] & 0x7F;
            if (length == 126)
            {
                var extended = new byte[2];
                await _stream.ReadExactlyAsync(extended);
                length = BinaryPrimitives.ReadUInt16BigEndian(extended);
            }
            else if (length == 127)
            {
                var extended = new byte[8];
                await _stream.ReadExactlyAsync(extended);
                length = BinaryPrimitives.ReadInt64BigEndian(extended);
            }

            var payload = new byte[length];
            await _stream.ReadExactlyAsync(payload);
            return ((byte)(head[0] & 0x0F), payload);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads frames, skipping data and pings (unanswered), until a close frame: its status code; null when the connection ended without one.</summary>
    public async Task<int?> ReadCloseStatusAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == Close)
            {
                return frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : null;
            }
        }

        return null;
    }

    /// <summary>Reads frames, never answering, until the server closes the connection; the opcodes seen on the way.</summary>
    public async Task<List<byte>> ReadUntilClosedAsync()
    {
        var seen = new List<byte>();
        while (await ReadFrameAsync() is { } frame)
        {
            seen.Add(frame.Opcode);
        }

        return seen;
    }

    public void Dispose() => _stream.Dispose();

    private async Task SendAsync(byte[] header, byte[] payload)
    {
        await _stream.WriteAsync(header);
        await _stream.WriteAsync(payload);
    }

    private static byte[] Header(byte opcode, long length, bool compressed, out byte[] mask)
    {
        mask = RandomNumberGenerator.GetBytes(4);
        var header = new List<byte> { (byte)(0x80 | (compressed ? 0x40 : 0) | opcode) };
        if (length < 126)
        {
            header.Add((byte)(0x80 | length));
        }
        else if (length <= ushort.MaxValue)
        {
            header.Add(0x80 | 126);
            var extended = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(extended, (ushort)length);
            header.AddRange(extended);
        }
        else
        {
            header.Add(0x80 | 127);
            var extended = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(extended, length);
            header.AddRange(extended);
        }

        header.AddRange(mask);
        return [.. header];
    }

    private static byte[] Masked(ReadOnlySpan<byte> payload, byte[] mask)
    {
        var masked = payload.ToArray();
        for (var i = 0; i < masked.Length; i++)
        {
            masked[i] ^= mask[i & 3];
        }

        return masked;
    }
}
