using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>Loopback HTTP clients for the server tests: HttpClient, and raw sockets for what HttpClient hides.</summary>
internal static class HttpTesting
{
    /// <summary>How long any single wait in these tests may take before it counts as a failure.</summary>
    public static readonly TimeSpan Timeout = Wait.Long;

    public static HttpClient Client(SocketsHttpHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = Timeout };

    public static Uri Url(HttpServer server, string path = "/") => new($"http://127.0.0.1:{server.Port}{path}");

    public static async Task<RawConnection> ConnectAsync(int port, IPAddress? address = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(address ?? IPAddress.Loopback, port)).WaitAsync(Timeout);
        return new RawConnection(socket);
    }

    /// <summary>Sends one request on a new connection and reads one response.</summary>
    public static async Task<RawResponse> SendAsync(int port, string request)
    {
        using var connection = await ConnectAsync(port);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }
}

/// <summary>A raw client connection that writes requests as text and parses responses (Content-Length, chunked or to close).</summary>
internal sealed class RawConnection(Socket socket) : IDisposable
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly List<byte> _pending = [];

    public Socket Socket => socket;

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes).AsTask().WaitAsync(HttpTesting.Timeout);

    /// <summary>Completes with true when the server has closed the connection (end of stream or reset), reading nothing else.</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        var buffer = new byte[1024];
        try
        {
            return await _stream.ReadAsync(buffer) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async Task<RawResponse> ReadResponseAsync(bool head = false)
    {
        var headerBytes = await ReadUntilAsync("\r\n\r\n"u8.ToArray());
        var text = Encoding.Latin1.GetString(headerBytes);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        var response = new RawResponse(lines[0], status, headers, []);
        if (head || status is 204 or 304 or 101 || status < 200)
        {
            return response;
        }

        if (response.Header("Content-Length") is { } length)
        {
            return response with { Body = await ReadExactlyAsync(int.Parse(length)) };
        }

        if (response.Header("Transfer-Encoding") is { } coding && coding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new List<byte>();
            while (true)
            {
                var size = Convert.ToInt32(Encoding.Latin1.GetString(await ReadUntilAsync("\r\n"u8.ToArray())).Trim().Split(';')[0], 16);
                if (size == 0)
                {
                    await ReadUntilAsync("\r\n"u8.ToArray());
                    break;
                }

                body.AddRange(await ReadExactlyAsync(size));
                await ReadExactlyAsync(2);
            }

            return response with { Body = [.. body] };
        }

        var rest = new List<byte>(_pending);
        _pending.Clear();
        var buffer = new byte[65536];
        int read;
        while ((read = await _stream.ReadAsync(buffer).AsTask().WaitAsync(HttpTesting.Timeout)) > 0)
        {
            rest.AddRange(buffer.AsSpan(0, read));
        }

        return response with { Body = [.. rest] };
    }

    private async Task<byte[]> ReadUntilAsync(byte[] marker)
    {
        var buffer = new byte[65536];
        while (true)
        {
            var index = IndexOf(_pending, marker);
            if (index >= 0)
            {
                var result = _pending.GetRange(0, index).ToArray();
                _pending.RemoveRange(0, index + marker.Length);
                return result;
            }

            var read = await _stream.ReadAsync(buffer).AsTask().WaitAsync(HttpTesting.Timeout);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection in the middle of a response.");
            }

            _pending.AddRange(buffer.AsSpan(0, read));
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[65536];
        while (_pending.Count < count)
        {
            var read = await _stream.ReadAsync(buffer).AsTask().WaitAsync(HttpTesting.Timeout);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection in the middle of a body.");
            }

            _pending.AddRange(buffer.AsSpan(0, read));
        }

        var result = _pending.GetRange(0, count).ToArray();
        _pending.RemoveRange(0, count);
        return result;
    }

    private static int IndexOf(List<byte> data, byte[] marker)
    {
        for (var i = 0; i + marker.Length <= data.Count; i++)
        {
            var match = true;
            for (var j = 0; j < marker.Length && match; j++)
            {
                match = data[i + j] == marker[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }

    public void Dispose() => _stream.Dispose();
}

internal sealed record RawResponse(string StatusLine, int Status, List<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    public IEnumerable<string> All(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public string Text => Encoding.UTF8.GetString(Body);
}
