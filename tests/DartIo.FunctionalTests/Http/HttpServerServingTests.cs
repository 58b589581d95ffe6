using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace DartIo.FunctionalTests.Http;

public sealed class HttpServerServingTests
{
    private const string CloseRequest = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private static async Task<HttpServer> ServeAsync(Func<HttpRequest, Task> handler)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(handler);
        return server;
    }

    [Fact]
    public async Task Response_Defaults_CarryDartsHeadersAndNoServerHeader()
    {
        await using var server = await ServeAsync(request => { request.Response.Write("x"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal("SAMEORIGIN", response.Header("X-Frame-Options"));
        Assert.Equal("nosniff", response.Header("X-Content-Type-Options"));
        Assert.Equal("1; mode=block", response.Header("X-XSS-Protection"));
        Assert.Null(response.Header("Server"));
        Assert.NotNull(response.Header("Date"));
    }

    [Fact]
    public async Task DefaultResponseHeaders_ClearedAndServerHeaderSet_ChangesEveryResponse()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.DefaultResponseHeaders.Clear();
        server.DefaultResponseHeaders.Add("X-Powered-By", "DartIo");
        server.ServerHeader = "dartio-test";
        server.Listen(_ => Task.CompletedTask);

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Null(response.Header("Content-Type"));
        Assert.Null(response.Header("X-Frame-Options"));
        Assert.Equal("DartIo", response.Header("X-Powered-By"));
        Assert.Equal("dartio-test", response.Header("Server"));
    }

    [Fact]
    public async Task Listen_HandlerThrows_Answers500AndGoesOn()
    {
        await using var server = await ServeAsync(request =>
        {
            if (request.Uri.OriginalString == "/fail")
            {
                throw new InvalidOperationException("handler bug");
            }

            request.Response.Write("fine");
            return Task.CompletedTask;
        });
        using var client = HttpTesting.Client();

        using var failed = await client.GetAsync(HttpTesting.Url(server, "/fail"));
        var fine = await client.GetStringAsync(HttpTesting.Url(server, "/"));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("fine", fine);
    }

    [Fact]
    public async Task Listen_AsyncHandlerThrowsAfterFlushing_AbortsThatConnectionAndGoesOn()
    {
        await using var server = await ServeAsync(async request =>
        {
            if (request.Uri.OriginalString == "/fail")
            {
                request.Response.Write("partial");
                await request.Response.FlushAsync();
                throw new InvalidOperationException("handler bug");
            }

            request.Response.Write("fine");
        });

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n");
        await Assert.ThrowsAnyAsync<IOException>(() => connection.ReadResponseAsync());
        var fine = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal("fine", fine.Text);
    }

    [Fact]
    public async Task Server_MalformedRequest_Answers400AndGoesOn()
    {
        await using var server = await ServeAsync(request => { request.Response.Write("ok"); return Task.CompletedTask; });

        var bad = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nthis line is no header\r\n\r\n");
        var good = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(400, bad.Status);
        Assert.Equal("ok", good.Text);
    }

    [Fact]
    public async Task Body_OneMebibyte_IsEchoedIntact()
    {
        await using var server = await ServeAsync(async request =>
        {
            request.Response.Headers.ContentType = "application/octet-stream";
            await request.Response.AddStreamAsync(request.Body);
        });
        var payload = RandomNumberGenerator.GetBytes(1 << 20);
        using var client = HttpTesting.Client();

        using var response = await client.PostAsync(HttpTesting.Url(server), new ByteArrayContent(payload));
        var echoed = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task Body_StreamingRequest_IsReadBeforeItHasAllArrived()
    {
        var firstPart = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(async request =>
        {
            var buffer = new byte[5];
            await request.Body.ReadExactlyAsync(buffer);
            firstPart.TrySetResult(Encoding.ASCII.GetString(buffer));
            var rest = await new StreamReader(request.Body).ReadToEndAsync();
            request.Response.Write(rest);
        });
        using var connection = await HttpTesting.ConnectAsync(server.Port);

        await connection.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
        Assert.Equal("first", await firstPart.Task.WaitAsync(HttpTesting.Timeout)); // the rest is not even sent yet
        await connection.SendAsync("4\r\nrest\r\n0\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("rest", response.Text);
    }

    [Fact]
    public async Task Response_NotBuffered_SendsEachWriteAtOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(async request =>
        {
            request.Response.BufferOutput = false;
            await request.Response.AddAsync("first"u8.ToArray());
            await release.Task;
            await request.Response.AddAsync("second"u8.ToArray());
        });
        using var client = HttpTesting.Client();

        using var response = await client.GetAsync(HttpTesting.Url(server), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[5];
        await body.ReadExactlyAsync(first).AsTask().WaitAsync(HttpTesting.Timeout);
        release.SetResult();
        var rest = await new StreamReader(body).ReadToEndAsync();

        Assert.Equal("first", Encoding.ASCII.GetString(first));
        Assert.Equal("second", rest);
        Assert.True(response.Headers.TransferEncodingChunked);
    }

    [Fact]
    public async Task Write_AllBufferedAtClose_SendsContentLength()
    {
        await using var server = await ServeAsync(request => { request.Response.Write("hello"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal("5", response.Header("Content-Length"));
        Assert.Null(response.Header("Transfer-Encoding"));
    }

    [Fact]
    public async Task AddAsync_SmallChunksWithContentLength_SendsThemAll()
    {
        await using var server = await ServeAsync(async request =>
        {
            request.Response.ContentLength = 10;
            await request.Response.AddAsync("01234"u8.ToArray());
            await request.Response.AddAsync("56789"u8.ToArray());
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(("10", "0123456789"), (response.Header("Content-Length"), response.Text));
    }

    [Fact]
    public async Task Write_LongText_IsSentWhole()
    {
        var text = new string('é', 100_000) + "end";
        await using var server = await ServeAsync(request => { request.Response.Write(text); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(text, response.Text);
    }

    [Fact]
    public async Task Write_DefaultContentType_EncodesUtf8()
    {
        await using var server = await ServeAsync(request => { request.Response.Write("é€"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(Encoding.UTF8.GetBytes("é€"), response.Body);
    }

    [Fact]
    public async Task Write_NoContentType_EncodesLatin1()
    {
        await using var server = await ServeAsync(request =>
        {
            request.Response.Headers.RemoveAll("Content-Type");
            request.Response.Write("é");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(new byte[] { 0xE9 }, response.Body);
    }

    [Fact]
    public async Task Write_ContentTypeCharset_UsesThatCharset()
    {
        await using var server = await ServeAsync(request =>
        {
            request.Response.Headers.ContentType = "text/plain; charset=utf-16";
            request.Response.Write("A");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(Encoding.Unicode.GetBytes("A"), response.Body);
    }

    [Fact]
    public async Task Headers_AfterTheBodyStarted_ThrowHttpException()
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(request =>
        {
            request.Response.Write("body");
            outcome.TrySetResult(Record.Exception(() => request.Response.Headers.Set("X-Late", "1")));
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.IsType<HttpException>(await outcome.Task.WaitAsync(HttpTesting.Timeout));
        Assert.Null(response.Header("X-Late"));
    }

    [Fact]
    public async Task Request_Properties_DescribeWhatTheClientSent()
    {
        var seen = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(request =>
        {
            seen.TrySetResult([
                request.Method, request.Uri.OriginalString, request.RequestedUri.AbsoluteUri, request.ProtocolVersion,
                request.PersistentConnection.ToString(), request.ContentLength.ToString(), request.Headers.Host!,
                request.Headers.Value("x-custom")!, string.Join(",", request.Headers["X-Multi"]!),
                request.ConnectionInfo!.LocalPort.ToString(), request.ConnectionInfo.RemoteAddress.Address,
            ]);
            return Task.CompletedTask;
        });

        await HttpTesting.SendAsync(server.Port,
            $"PUT /a%20b?q=1 HTTP/1.1\r\nHost: example.test:{server.Port}\r\nX-Custom: yes\r\nX-Multi: 1\r\nX-Multi: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
        var values = await seen.Task.WaitAsync(HttpTesting.Timeout);

        Assert.Equal(["PUT", "/a%20b?q=1", $"http://example.test:{server.Port}/a%20b?q=1", "1.1", "False", "3", "example.test",
            "yes", "1,2", server.Port.ToString(), "127.0.0.1"], values);
    }

    [Fact]
    public async Task Request_Http10WithoutKeepAlive_IsNotPersistent()
    {
        var persistent = new TaskCompletionSource<(string, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(request =>
        {
            persistent.TrySetResult((request.ProtocolVersion, request.PersistentConnection));
            return Task.CompletedTask;
        });

        await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.0\r\n\r\n");

        Assert.Equal(("1.0", false), await persistent.Task.WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task Cookies_BothWays_AreParsedAndSent()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(request =>
        {
            received.TrySetResult(string.Join(";", request.Cookies.Select(c => $"{c.Name}={c.Value}")));
            request.Response.Cookies.Add(new Cookie("session", "abc") { Path = "/", HttpOnly = true });
            request.Response.Cookies.Add(new Cookie("theme", "dark"));
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=\"two\"\r\nConnection: close\r\n\r\n");

        Assert.Equal("a=1;b=two", await received.Task.WaitAsync(HttpTesting.Timeout));
        Assert.Equal(["session=abc; Path=/; HttpOnly", "theme=dark"], response.All("Set-Cookie"));
    }

    [Fact]
    public async Task RedirectAsync_Default_Answers302WithLocation()
    {
        await using var server = await ServeAsync(request => request.Response.RedirectAsync(new Uri("/elsewhere?x=1", UriKind.Relative)));

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(302, response.Status);
        Assert.Equal("/elsewhere?x=1", response.Header("Location"));
    }

    [Fact]
    public async Task Response_StatusAndReason_AreSent()
    {
        await using var server = await ServeAsync(request =>
        {
            request.Response.StatusCode = 418;
            request.Response.ReasonPhrase = "Short And Stout";
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal("HTTP/1.1 418 Short And Stout", response.StatusLine);
    }

    [Fact]
    public async Task Response_PersistentConnectionFalse_ClosesTheConnection()
    {
        await using var server = await ServeAsync(request => { request.Response.PersistentConnection = false; return Task.CompletedTask; });
        using var connection = await HttpTesting.ConnectAsync(server.Port);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task AutoCompress_ClientAcceptsGzip_GzipsTheBody()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true;
        var text = string.Concat(Enumerable.Repeat("compress me ", 1000));
        server.Listen(request => { request.Response.Write(text); return Task.CompletedTask; });
        using var client = HttpTesting.Client();
        using var message = new HttpRequestMessage(HttpMethod.Get, HttpTesting.Url(server));
        message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await client.SendAsync(message);
        var compressed = await response.Content.ReadAsByteArrayAsync();
        using var unzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);

        Assert.Equal("gzip", string.Join(",", response.Content.Headers.ContentEncoding));
        Assert.True(compressed.Length < text.Length / 10);
        Assert.Equal(text, await new StreamReader(unzip).ReadToEndAsync());
    }

    [Fact]
    public async Task AutoCompress_ClientDoesNotAcceptGzip_SendsPlainBody()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true;
        server.Listen(request => { request.Response.Write("plain"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal("plain", response.Text);
    }

    [Theory]
    [InlineData("gzip;q=0")]
    [InlineData("gzip; q=0.000, br")]
    [InlineData("identity, *;q=1")]
    public async Task AutoCompress_ClientRefusesGzipByQuality_SendsPlainBody(string acceptEncoding)
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true;
        server.Listen(request => { request.Response.Write("plain"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port,
            $"GET / HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: {acceptEncoding}\r\nConnection: close\r\n\r\n");

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal("plain", response.Text);
    }

    [Theory]
    [InlineData(null)] // the server's AutoCompress
    [InlineData("br")] // the handler's own choice
    [InlineData("gzip")]
    public async Task Compressing_ClientResetsDuringAStream_StopsReadingTheSource(string? compression)
    {
        const long Size = 1L << 30;
        var source = new LetterStream(Size);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = compression is null;
        server.Listen(async request =>
        {
            try
            {
                request.Response.Compression = compression;
                await request.Response.AddStreamAsync(source);
            }
            finally
            {
                handled.TrySetResult();
            }
        });

        using (var connection = await HttpTesting.ConnectAsync(server.Port))
        {
            await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
            Assert.True(await connection.Socket.ReceiveAsync(new byte[4096].AsMemory()).AsTask().WaitAsync(HttpTesting.Timeout) > 0);
            connection.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // a reset
        }

        await handled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(source.Taken, 1, Size / 4); // a compressing writer never reports the connection gone: this was all of it
    }

    [Fact]
    public async Task AutoCompress_ClientAcceptsOnlyBrotli_SendsPlainBody()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true; // Dart's: gzip only; brotli is the handler's to choose (Compression)
        server.Listen(request => { request.Response.Write("plain"); return Task.CompletedTask; });

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n");

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal("plain", response.Text);
    }

    [Fact]
    public async Task AutoCompress_HandlerVariesOnAHeaderToo_KeepsItsVaryAndAddsAcceptEncoding()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true;
        server.Listen(request =>
        {
            request.Response.Headers.Set("Vary", "Origin");
            request.Response.Write("text");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");

        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal("Origin, Accept-Encoding", string.Join(", ", response.All("Vary")));
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task Compression_Set_CompressesTheBodyWithThatCodingWithoutAutoCompress(string coding)
    {
        var text = string.Concat(Enumerable.Repeat("compress me ", 1000));
        await using var server = await ServeAsync(request =>
        {
            request.Response.Compression = coding;
            request.Response.ContentLength = text.Length; // dropped: the compressed length is not known
            request.Response.Write(text);
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);
        using var decoded = coding == "br"
            ? (Stream)new BrotliStream(new MemoryStream(response.Body), CompressionMode.Decompress)
            : new GZipStream(new MemoryStream(response.Body), CompressionMode.Decompress);

        Assert.Equal(coding, response.Header("Content-Encoding"));
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
        Assert.Null(response.Header("Content-Length"));
        Assert.True(response.Body.Length < text.Length / 10, $"{response.Body.Length} bytes");
        Assert.Equal(text, await new StreamReader(decoded).ReadToEndAsync());
    }

    [Fact]
    public async Task Compression_Head_SendsTheHeadersOfTheGetWithoutABody()
    {
        await using var server = await ServeAsync(request => { request.Response.Compression = "br"; return Task.CompletedTask; });
        using var connection = await HttpTesting.ConnectAsync(server.Port);

        await connection.SendAsync("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = await connection.ReadResponseAsync(head: true);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var next = await connection.ReadResponseAsync(); // the HEAD response had no body to skip

        Assert.Equal("br", head.Header("Content-Encoding"));
        Assert.Null(head.Header("Content-Length"));
        Assert.Equal(200, next.Status);
    }

    [Fact]
    public async Task Compression_BodyEncodedAlready_IsLeftAlone()
    {
        await using var server = await ServeAsync(async request =>
        {
            request.Response.Compression = "br";
            request.Response.Headers.Set("Content-Encoding", "gzip");
            await request.Response.AddAsync("not really gzip"u8.ToArray());
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal("not really gzip", response.Text);
    }

    [Fact]
    public async Task Compression_UnknownCodingOrHeadersSent_Throws()
    {
        var errors = new TaskCompletionSource<(Exception? Unknown, Exception? Late)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(async request =>
        {
            var unknown = Record.Exception(() => request.Response.Compression = "deflate");
            await request.Response.FlushAsync();
            var late = Record.Exception(() => request.Response.Compression = "gzip");
            errors.TrySetResult((unknown, late));
        });

        await HttpTesting.SendAsync(server.Port, CloseRequest);
        var (unknown, late) = await errors.Task.WaitAsync(HttpTesting.Timeout);

        Assert.IsType<ArgumentException>(unknown);
        Assert.IsType<InvalidOperationException>(late);
    }

    /// <summary>Lowercase letters that gzip shrinks by about half (a 64 KiB random block, longer than its window), counted as read.</summary>
    private sealed class LetterStream(long length) : Stream
    {
        private static readonly byte[] s_block = MakeBlock();

        public long Taken { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => Taken; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, Math.Min(length - Taken, s_block.Length - (Taken % s_block.Length)));
            s_block.AsSpan((int)(Taken % s_block.Length), n).CopyTo(buffer);
            Taken += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static byte[] MakeBlock()
        {
            var block = new byte[64 * 1024];
            var random = new Random(7);
            for (var i = 0; i < block.Length; i++)
            {
                block[i] = (byte)('a' + random.Next(26));
            }

            return block;
        }
    }

    [Fact]
    public async Task Response_Done_CompletesWhenClosed()
    {
        var done = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ServeAsync(async request =>
        {
            done.TrySetResult(request.Response.Done);
            request.Response.Write("x");
            await request.Response.CloseAsync();
        });

        await HttpTesting.SendAsync(server.Port, CloseRequest);

        await (await done.Task.WaitAsync(HttpTesting.Timeout)).WaitAsync(HttpTesting.Timeout);
    }
}
