using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// The file server's representations: precompressed <c>.br</c> / <c>.gz</c> siblings (always) and compression on the fly
/// (<c>--gzip</c>), chosen by <c>Accept-Encoding</c>'s qualities, each with its own validator.
/// </summary>
public sealed class ContentCodingTests : IAsyncLifetime
{
    private static readonly string s_script = string.Concat(Enumerable.Repeat("console.log('precompressed');\n", 400));

    private readonly TemporaryDirectory _root = new();
    private readonly TemporaryDirectory _outside = new();
    private byte[] _brotli = [];
    private byte[] _gzip = [];
    private StaticFileServer _server = null!;

    public async Task InitializeAsync()
    {
        _root.Write("app.js", s_script);
        _brotli = Compress(s_script, stream => new BrotliStream(stream, CompressionLevel.SmallestSize));
        _gzip = Compress(s_script, stream => new GZipStream(stream, CompressionLevel.SmallestSize));
        _root.Write("app.js.br", _brotli);
        _root.Write("app.js.gz", _gzip);
        _root.Write("gz-only.css", "body{}");
        _root.Write("gz-only.css.gz", Compress("body{}", stream => new GZipStream(stream, CompressionLevel.SmallestSize)));
        _root.Write("plain.txt", "no siblings");
        _server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _root.Dispose();
        _outside.Dispose();
    }

    [Fact]
    public async Task Precompressed_ClientAcceptsBrotli_GetsTheBrSiblingAsTheOriginalsType()
    {
        var response = await _server.SendAsync("/app.js", "Accept-Encoding: gzip, deflate, br, zstd\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal("text/javascript; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
        Assert.Equal(_brotli.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal(_brotli, response.Body);
    }

    [Theory]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("gzip;q=0.5, br;q=1", "br")]
    [InlineData("br;q=0.5, gzip;q=0.9", "gzip")]
    [InlineData("*", "br")]
    [InlineData("*;q=0.5, br;q=0.1", "gzip")] // '*' stands for gzip, which is not named
    [InlineData("gzip;q=0, *", "br")]
    [InlineData("br;q=0, gzip;q=0", null)]
    [InlineData("identity;q=0", null)] // nothing else acceptable: identity all the same (as nginx and Caddy), not 406
    [InlineData("gzip;q=0.4, identity;q=0.8", null)]
    [InlineData("x-unknown", null)]
    public async Task Precompressed_AcceptEncodingQualities_PickTheRepresentation(string acceptEncoding, string? coding)
    {
        var response = await _server.SendAsync("/app.js", $"Accept-Encoding: {acceptEncoding}\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal(coding, response.Header("Content-Encoding"));
        Assert.Equal(coding switch { "br" => _brotli, "gzip" => _gzip, _ => Encoding.UTF8.GetBytes(s_script) }, response.Body);
    }

    [Fact]
    public async Task Precompressed_WithoutAcceptEncoding_IsTheOriginalAndStillVaries()
    {
        var response = await _server.SendAsync("/app.js");

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal(s_script, response.Text);
        Assert.Equal("Accept-Encoding", response.Header("Vary")); // a cache must not hand this to a client that takes br
    }

    [Fact]
    public async Task Precompressed_OnlyAGzSibling_IsServedToABrotliClientThatTakesGzipToo()
    {
        var both = await _server.SendAsync("/gz-only.css", "Accept-Encoding: br, gzip\r\n");
        var brOnly = await _server.SendAsync("/gz-only.css", "Accept-Encoding: br\r\n");

        Assert.Equal("gzip", both.Header("Content-Encoding"));
        Assert.Null(brOnly.Header("Content-Encoding"));
        Assert.Equal("body{}", brOnly.Text);
    }

    [Fact]
    public async Task Precompressed_EachRepresentation_HasItsOwnETagAndAnswers304ToIt()
    {
        var br = (await _server.SendAsync("/app.js", "Accept-Encoding: br\r\n")).Header("ETag")!;
        var gzip = (await _server.SendAsync("/app.js", "Accept-Encoding: gzip\r\n")).Header("ETag")!;
        var identity = (await _server.SendAsync("/app.js")).Header("ETag")!;

        var again = await _server.SendAsync("/app.js", $"Accept-Encoding: br\r\nIf-None-Match: {br}\r\n");
        var otherRepresentation = await _server.SendAsync("/app.js", $"Accept-Encoding: gzip\r\nIf-None-Match: {br}\r\n");

        Assert.Equal(3, new HashSet<string> { br, gzip, identity }.Count);
        Assert.Equal(304, again.Status);
        Assert.Null(again.Header("Content-Encoding"));
        Assert.Equal(200, otherRepresentation.Status);
        Assert.Equal(_gzip, otherRepresentation.Body);
    }

    [Fact]
    public async Task Precompressed_Range_IsOfTheSiblingsBytes()
    {
        var response = await _server.SendAsync("/app.js", "Accept-Encoding: br\r\nRange: bytes=0-9\r\n");

        Assert.Equal(206, response.Status);
        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bytes 0-9/{_brotli.Length}"), response.Header("Content-Range"));
        Assert.Equal(_brotli[..10], response.Body);
    }

    [Fact]
    public async Task Precompressed_Head_HasTheSiblingsLengthAndCoding()
    {
        var response = await _server.SendAsync("/app.js", "Accept-Encoding: br\r\n", method: "HEAD");

        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal(_brotli.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
    }

    [Fact]
    public async Task Precompressed_SiblingThatIsALinkOutOfTheFolderOrAFolder_IsNotServed()
    {
        _root.Write("linked.js", "original");
        File.CreateSymbolicLink(_root.File("linked.js.br"), _outside.Write("secret.br", "outside secret"));
        _root.Write("folder.js", "original");
        Directory.CreateDirectory(_root.File("folder.js.br"));

        var linked = await _server.SendAsync("/linked.js", "Accept-Encoding: br\r\n");
        var folder = await _server.SendAsync("/folder.js", "Accept-Encoding: br\r\n");

        Assert.Equal((200, null, "original"), (linked.Status, linked.Header("Content-Encoding"), linked.Text));
        Assert.Equal((200, null, "original"), (folder.Status, folder.Header("Content-Encoding"), folder.Text));
    }

    [Fact]
    public async Task Precompressed_EmptyOrFifoSibling_IsNotServed()
    {
        // An empty file is no brotli or gzip stream of anything (a build step that failed half-way leaves one), and a FIFO
        // has no bytes to give: either, sent as the body, is a decoding error in the browser where the file would do.
        _root.Write("empty.js", "original");
        _root.Write("empty.js.br", []);
        _root.Write("empty.js.gz", []);
        _root.Write("fifo.js", "original");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", _root.File("fifo.js.br"))!)
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var empty = await _server.SendAsync("/empty.js", "Accept-Encoding: br, gzip\r\n");
        var fifo = await _server.SendAsync("/fifo.js", "Accept-Encoding: br\r\n");

        Assert.Equal((200, null, "original"), (empty.Status, empty.Header("Content-Encoding"), empty.Text));
        Assert.Equal((200, null, "original"), (fifo.Status, fifo.Header("Content-Encoding"), fifo.Text));
    }

    [Fact]
    public async Task Precompressed_SiblingOfAHiddenFile_IsNotServed()
    {
        _root.Write(".env", "SECRET=1");
        _root.Write(".env.br", "SECRET=1 compressed");

        var response = await _server.SendAsync("/.env", "Accept-Encoding: br\r\n");

        Assert.Equal(404, response.Status);
        Assert.Null(response.Header("Content-Encoding"));
    }

    [Fact]
    public async Task OnTheFly_ClientThatPrefersBrotli_GetsBrotliWithItsOwnETag()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Compress = true });

        var br = await server.SendAsync("/plain.txt", "Accept-Encoding: gzip;q=0.5, br\r\n");
        var gzip = await server.SendAsync("/plain.txt", "Accept-Encoding: gzip\r\n");
        var identity = await server.SendAsync("/plain.txt");
        using var decoded = new BrotliStream(new MemoryStream(br.Body), CompressionMode.Decompress);

        Assert.Equal("br", br.Header("Content-Encoding"));
        Assert.Equal("no siblings", await new StreamReader(decoded).ReadToEndAsync());
        Assert.Equal(3, new HashSet<string?> { br.Header("ETag"), gzip.Header("ETag"), identity.Header("ETag") }.Count);
        Assert.Null(br.Header("Content-Length")); // chunked: the compressed length is known at the end
    }

    [Fact]
    public async Task OnTheFly_SiblingPresent_IsPreferredToCompressingAtTheSameQuality()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Compress = true });

        var response = await server.SendAsync("/gz-only.css", "Accept-Encoding: br, gzip\r\n");

        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.NotNull(response.Header("Content-Length")); // the sibling, not a stream compressed as it goes
    }

    [Fact]
    public async Task OnTheFly_RangeOrIncompressibleType_IsSentAsItIs()
    {
        _root.Write("photo.png", new byte[2048]);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Compress = true });

        var range = await server.SendAsync("/plain.txt", "Accept-Encoding: br\r\nRange: bytes=0-1\r\n");
        var png = await server.SendAsync("/photo.png", "Accept-Encoding: br\r\n");

        Assert.Equal((206, null, "no"), (range.Status, range.Header("Content-Encoding"), range.Text));
        Assert.Equal((200, null), (png.Status, png.Header("Content-Encoding")));
    }

    [Fact]
    public async Task OnTheFly_ServerAutoCompressOnToo_CompressesOnce()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = true; // as ServeCommand may leave it: the handler's own choice must win, and only once
        server.Listen(new StaticFileHandler(new ServeSettings { Root = _root.Path, Compress = true }, log: null).HandleAsync);

        var response = await HttpTesting.SendAsync(server.Port, "GET /plain.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip\r\nConnection: close\r\n\r\n");
        _root.Write("folder/x.txt", "x");
        var redirect = await HttpTesting.SendAsync(server.Port, "GET /folder HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        using var decoded = new BrotliStream(new MemoryStream(response.Body), CompressionMode.Decompress);

        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal("no siblings", await new StreamReader(decoded).ReadToEndAsync());
        Assert.Equal((301, null), (redirect.Status, redirect.Header("Content-Encoding")));
    }

    [Fact]
    public async Task OnTheFly_AbortedDownload_StopsReadingAndCompressingTheFile()
    {
        const int Size = 64 << 20;
        var letters = new byte[Size];
        new Random(11).NextBytes(letters);
        for (var i = 0; i < letters.Length; i++)
        {
            letters[i] = (byte)('a' + (letters[i] % 26)); // text brotli shrinks by about a third, no more
        }

        _root.Write("big.txt", letters);
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Compress = true }, log);
        using (var connection = await HttpTesting.ConnectAsync(server.Port))
        {
            connection.Socket.ReceiveBufferSize = 64 * 1024;
            await connection.SendAsync("GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n");
            Assert.True(await connection.Socket.ReceiveAsync(new byte[4096].AsMemory()).Within() > 0);
            connection.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // a reset, as a browser's cancel can be
        }

        var line = await lines.NextAsync();

        // What the connection took, counted as the file's bytes before compressing. It can be 0 ("-"): when the reset
        // comes before the handler reads a second chunk, the first chunk, though partly sent, was the last read and is
        // not counted (FileSegmentStream.Delivered). What matters here is the upper bound: reading stopped.
        var match = Regex.Match(line, "\"GET /big.txt HTTP/1.1\" 200 (\\d+|-) ");
        Assert.True(match.Success, line);
        var taken = match.Groups[1].Value == "-" ? 0 : long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(taken, 0, Size / 4);
    }

    private static byte[] Compress(string text, Func<Stream, Stream> compressor)
    {
        var output = new MemoryStream();
        using (var stream = compressor(output))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }
}
