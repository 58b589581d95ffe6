using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Http;

/// <summary>SPEC 12: what a remote client does is logged at Debug, never at Error or Critical.</summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class HostileClientLoggingTests
{
    private const int Body = 16 << 20; // more than the socket buffers of both ends hold

    [Fact]
    public async Task BindSecureAsync_Http2RapidReset_LogsNothingAtErrorOrCritical()
    {
        using var capture = new LogCapture();
        var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(request =>
        {
            request.Response.Write("hello");
            return Task.CompletedTask;
        });

        for (var connection = 0; connection < 2; connection++)
        {
            await using var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port, protocols: [SslApplicationProtocol.Http2]).Within();
            Assert.Equal(SslApplicationProtocol.Http2, ssl.NegotiatedApplicationProtocol);
            await RapidResetAsync(ssl, streams: 2000);
        }

        using (var client = HttpServerSecureTests.SecureClient())
        {
            Assert.Equal("hello", await client.GetStringAsync($"https://127.0.0.1:{server.Port}/").Within()); // still serving
        }

        // Forced: a graceful close after a rapid reset sometimes never ends on a loaded machine (one connection stays
        // "closing"; seen on the code before this test too, about 1 run in 15 under load). What this test is about is
        // the log, so it does not wait on that; docs/http.md records the hang.
        await server.CloseAsync(force: true).Within();
        await server.Done.Within();

        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
    }

    [Theory]
    [InlineData("psk-srp-hello")]
    [InlineData("bare-alert")]
    public async Task BindSecureAsync_PskOnlyClientHelloOrAlertFirst_LogsNothingAtError(string first)
    {
        using var capture = new LogCapture();
        var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(request => Task.CompletedTask);

        await SendFirstRecordAsync(server.Port, first);

        await server.CloseAsync().Within();
        await server.Done.Within();
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        // DartIo's one TLS policy logs the failed handshake, with its reason, as event 100 at Debug (issue 10).
        Assert.Contains(capture.Logs.Entries, e => e.Level == LogLevel.Debug && e.Category == "DartIo.Tls"
            && e.Event.Id == 100 && e.Text.Contains("failed (", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("psk-srp-hello")]
    [InlineData("bare-alert")]
    public async Task SecureServerSocket_PskOnlyClientHelloOrAlertFirst_LogsNothingAtError(string first)
    {
        using var capture = new LogCapture();
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, HttpServerSecureTests.ServerContext()).Within();
        var accepting = server.AcceptAsync().AsTask();

        await SendFirstRecordAsync(server.Port, first);

        await server.CloseAsync().Within();
        Assert.Null(await accepting.Within());
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Single(capture.Logs.Entries, e => e.Event.Name == "HandshakeFailed");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Listen_ClientAbortsADownload_OneDebugLineAndNoError(bool addStream)
    {
        using var capture = new LogCapture();
        var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            try
            {
                await SendLargeBodyAsync(request.Response, addStream);
            }
            finally
            {
                handled.TrySetResult();
            }
        });

        using (var client = await HttpTesting.ConnectAsync(server.Port))
        {
            await client.SendAsync("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            var first = new byte[64 << 10];
            Assert.True(await client.Socket.ReceiveAsync(first).Within() > 0);
            client.Socket.LingerState = new LingerOption(true, 0); // a reset, as a browser's cancelled download
        }

        await handled.Task.Within();
        await server.CloseAsync().Within();
        await server.Done.Within();
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Single(capture.Logs.Entries, e => e.Event.Name == "ResponseAborted" && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task CloseAsync_ForcedWhileADownloadIsStalled_LogsNothingAtError()
    {
        using var capture = new LogCapture();
        var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            started.TrySetResult();
            await SendLargeBodyAsync(request.Response, addStream: true);
        });

        using var client = await HttpTesting.ConnectAsync(server.Port);
        await client.SendAsync("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        await started.Task.Within(); // the client reads nothing: the transfer stalls

        var graceful = server.CloseAsync();
        Assert.False(graceful.IsCompleted && server.Done.IsCompleted);
        await server.CloseAsync(force: true).Within(); // as ServeCommand's drain does after its grace period
        await graceful.Within();
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
    }

    /// <summary>Sets a Content-Length of <see cref="Body"/> bytes and writes them, by AddAsync or AddStreamAsync.</summary>
    [Fact]
    public async Task Listen_WebSocketHandlerLetsALimitsFailureEscape_LogsNothingAtError()
    {
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.Listen(async request =>
        {
            using var socket = await WebSocketTransformer.UpgradeAsync(request, new WebSocketUpgradeOptions { MaxMessageSize = 1000 });
            await socket.ReceiveAsync(new byte[4096], CancellationToken.None); // throws: the message is too big
        });

        using var client = await RawWebSocket.ConnectAsync(server.Port).Within();
        await client.SendFrameAsync(RawWebSocket.Binary, new byte[1001]).Within();
        Assert.Equal(1009, await client.ReadCloseStatusAsync().Within());
        await client.ReadUntilClosedAsync().Within(); // the connection ends after the handler's failure was handled

        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Contains(capture.Logs.Entries, e => e.Event.Name == "WebSocketHandlerEnded" && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task BindSecureAsync_Http2RequestBodyLeftUnread_KestrelsNoteIsDebug()
    {
        using var capture = new LogCapture();
        var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(request =>
        {
            request.Response.Write("not reading that");
            return Task.CompletedTask;
        });

        await using (var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port, protocols: [SslApplicationProtocol.Http2]).Within())
        {
            using var frames = new MemoryStream();
            frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
            WriteFrame(frames, type: 0x4, flags: 0, streamId: 0, []); // SETTINGS, none
            var authority = Encoding.ASCII.GetBytes("localhost");
            WriteFrame(frames, type: 0x1, flags: 0x4, streamId: 1, [0x83, 0x87, 0x84, 0x01, (byte)authority.Length, .. authority]); // POST, END_HEADERS
            WriteFrame(frames, type: 0x0, flags: 0, streamId: 1, new byte[1000]); // DATA, the stream left open
            await ssl.WriteAsync(frames.ToArray()).AsTask().Within();

            var header = new byte[9];
            while (await ReadFullyAsync(ssl, header).Within())
            {
                var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
                var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue;
                if (!await ReadFullyAsync(ssl, payload).Within() || (streamId == 1 && header[3] is 0x0 or 0x1 && (header[4] & 0x1) != 0))
                {
                    break; // the response's end
                }
            }
        }

        await server.CloseAsync(force: true).Within();
        await server.Done.Within();
        Assert.Contains(capture.Logs.Entries, e => e.Event.Id == 32 && e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));
        Assert.DoesNotContain(capture.Logs.Entries, e => e.Event.Id == 32 && e.Level > LogLevel.Debug && e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    private static async Task SendLargeBodyAsync(HttpResponse response, bool addStream)
    {
        response.ContentLength = Body;
        if (addStream)
        {
            await response.AddStreamAsync(new MemoryStream(new byte[Body], writable: false));
            return;
        }

        var chunk = new byte[64 << 10];
        for (var sent = 0; sent < Body; sent += chunk.Length)
        {
            await response.AddAsync(chunk);
        }
    }

    /// <summary>
    /// CVE-2023-44487's shape: the HTTP/2 preface, then HEADERS and RST_STREAM for stream after stream, as fast as the
    /// socket takes them; then a PING, and reads until its ACK (the server has handled every frame before it) or until
    /// the server closes the connection.
    /// </summary>
    private static async Task RapidResetAsync(Stream stream, int streams)
    {
        using var frames = new MemoryStream();
        frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(frames, type: 0x4, flags: 0, streamId: 0, []); // SETTINGS, none
        var authority = Encoding.ASCII.GetBytes("localhost");
        byte[] headers = [0x82, 0x87, 0x84, 0x01, (byte)authority.Length, .. authority]; // GET, https, /, :authority literal
        byte[] cancel = [0, 0, 0, 0x8]; // CANCEL
        for (var i = 0; i < streams; i++)
        {
            var id = 1 + (2 * i);
            WriteFrame(frames, type: 0x1, flags: 0x5, id, headers); // HEADERS, END_STREAM | END_HEADERS
            WriteFrame(frames, type: 0x3, flags: 0, id, cancel); // RST_STREAM
        }

        WriteFrame(frames, type: 0x6, flags: 0, streamId: 0, new byte[8]); // PING
        try
        {
            await stream.WriteAsync(frames.ToArray()).AsTask().Within();
            var header = new byte[9];
            while (await ReadFullyAsync(stream, header))
            {
                var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
                if (!await ReadFullyAsync(stream, payload) || (header[3] == 0x6 && (header[4] & 0x1) != 0))
                {
                    break; // closed, or the PING's ACK
                }
            }
        }
        catch (IOException)
        {
            // The server cut the connection (GOAWAY and close, or a reset): what a rapid-reset client deserves.
        }
    }

    /// <summary>Fills the buffer; false if the stream ends first.</summary>
    private static async Task<bool> ReadFullyAsync(Stream stream, byte[] buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var count = await stream.ReadAsync(buffer.AsMemory(read)).AsTask().Within();
            if (count == 0)
            {
                return false;
            }

            read += count;
        }

        return true;
    }

    private static void WriteFrame(Stream output, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], streamId);
        output.Write(header);
        output.Write(payload);
    }

    /// <summary>
    /// A TLS 1.2 ClientHello that offers only PSK and SRP cipher suites (no certificate-based key exchange), then reads
    /// until the server drops the connection.
    /// </summary>
    /// <summary>
    /// Sends one TLS record as a client's first: a ClientHello offering only PSK and SRP suites, or a bare
    /// handshake_failure alert (what openssl sends when it has no PSK key or SRP user for such a hello), then reads
    /// until the server hangs up.
    /// </summary>
    private static async Task SendFirstRecordAsync(int port, string first)
    {
        var record = first == "bare-alert" ? [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x50] : PskOnlyClientHello();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).Within();
        await socket.SendAsync(record).Within();
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer).Within() > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Dropped with a reset: fine.
        }
    }

    private static byte[] PskOnlyClientHello()
    {
        byte[] suites = [0x00, 0x8C, 0x00, 0x8D, 0xC0, 0x1D, 0xC0, 0x1E, 0xC0, 0x20]; // PSK-AES128/256-CBC-SHA, SRP-AES-128/256-CBC-SHA
        using var hello = new MemoryStream();
        hello.Write([0x03, 0x03]); // TLS 1.2
        hello.Write(new byte[32]); // random
        hello.WriteByte(0); // no session id
        hello.Write([0, (byte)suites.Length]);
        hello.Write(suites);
        hello.Write([1, 0]); // compression: null
        var body = hello.ToArray();
        byte[] handshake = [0x01, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return [0x16, 0x03, 0x01, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];
    }
}
