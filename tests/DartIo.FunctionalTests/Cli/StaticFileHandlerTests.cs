using System.Globalization;
using System.IO.Compression;
using System.Text;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>The file server's handler on a real HttpServer, in-process: files, validators, ranges, listings and escapes.</summary>
public sealed class StaticFileHandlerTests : IAsyncLifetime
{
    private const string HelloText = "hello, file world";
    private readonly TemporaryDirectory _root = new();
    private readonly TemporaryDirectory _outside = new();
    private HttpServer _server = null!;

    public async Task InitializeAsync()
    {
        _root.Write("hello.txt", HelloText);
        _root.Write("page.html", "<p>page</p>");
        _root.Write("with index/index.html", "<p>index</p>");
        _root.Write("list/b.txt", "b");
        _root.Write("list/<odd> & name.txt", "odd");
        Directory.CreateDirectory(_root.File("list/a folder"));
        var secret = _outside.Write("secret.txt", "secret");
        File.CreateSymbolicLink(_root.File("escape.txt"), secret);
        Directory.CreateSymbolicLink(_root.File("escape"), _outside.Path);
        File.CreateSymbolicLink(_root.File("alias.txt"), "hello.txt");
        _server = await ServeAsync(listing: true, gzip: false);
    }

    public async Task DisposeAsync()
    {
        await _server.CloseAsync();
        _root.Dispose();
        _outside.Dispose();
    }

    private async Task<HttpServer> ServeAsync(bool listing, bool gzip)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.AutoCompress = gzip;
        server.Listen(new StaticFileHandler(_root.Path, listing, gzip, requireClientCertificate: false, log: null).HandleAsync);
        return server;
    }

    private Task<RawResponse> GetAsync(string target, string headers = "", string method = "GET") =>
        HttpTesting.SendAsync(_server.Port, $"{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");

    [Fact]
    public async Task File_Get_HasItsContentTypeLengthAndValidators()
    {
        var response = await GetAsync("/hello.txt");

        Assert.Equal(200, response.Status);
        Assert.Equal(HelloText, response.Text);
        Assert.Equal("text/plain", response.Header("Content-Type"));
        Assert.Equal(HelloText.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.NotNull(response.Header("ETag"));
        var modified = DateTime.Parse(response.Header("Last-Modified")!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.Equal(File.GetLastWriteTimeUtc(_root.File("hello.txt")), modified, TimeSpan.FromSeconds(1));
        Assert.Equal("text/html", (await GetAsync("/page.html")).Header("Content-Type"));
    }

    [Fact]
    public async Task File_IfNoneMatchWithItsETag_Answers304()
    {
        var etag = (await GetAsync("/hello.txt")).Header("ETag");

        var again = await GetAsync("/hello.txt", $"If-None-Match: \"other\", {etag}\r\n");
        var changed = await GetAsync("/hello.txt", "If-None-Match: \"other\"\r\n");

        Assert.Equal(304, again.Status);
        Assert.Empty(again.Body);
        Assert.Equal(etag, again.Header("ETag"));
        Assert.Equal(200, changed.Status);
    }

    [Fact]
    public async Task File_IfModifiedSince_Answers304UnlessModifiedSince()
    {
        var lastModified = (await GetAsync("/hello.txt")).Header("Last-Modified");
        var earlier = File.GetLastWriteTimeUtc(_root.File("hello.txt")).AddHours(-1).ToString("R", CultureInfo.InvariantCulture);

        var unchanged = await GetAsync("/hello.txt", $"If-Modified-Since: {lastModified}\r\n");
        var changed = await GetAsync("/hello.txt", $"If-Modified-Since: {earlier}\r\n");

        Assert.Equal(304, unchanged.Status);
        Assert.Equal(200, changed.Status);
        Assert.Equal(HelloText, changed.Text);
    }

    [Theory]
    [InlineData("bytes=0-4", "hello", "bytes 0-4/17")]
    [InlineData("bytes=7-", "file world", "bytes 7-16/17")]
    [InlineData("bytes=-5", "world", "bytes 12-16/17")]
    [InlineData("bytes=12-99", "world", "bytes 12-16/17")]
    public async Task File_Range_Answers206WithThatPart(string range, string part, string contentRange)
    {
        var response = await GetAsync("/hello.txt", $"Range: {range}\r\n");

        Assert.Equal(206, response.Status);
        Assert.Equal(part, response.Text);
        Assert.Equal(contentRange, response.Header("Content-Range"));
    }

    [Fact]
    public async Task File_RangeBeyondTheEnd_Answers416()
    {
        var response = await GetAsync("/hello.txt", "Range: bytes=100-200\r\n");

        Assert.Equal(416, response.Status);
        Assert.Equal("bytes */17", response.Header("Content-Range"));
    }

    [Fact]
    public async Task File_IfRangeWithAnOldETag_SendsTheWholeFile()
    {
        var etag = (await GetAsync("/hello.txt")).Header("ETag");

        var current = await GetAsync("/hello.txt", $"Range: bytes=0-4\r\nIf-Range: {etag}\r\n");
        var stale = await GetAsync("/hello.txt", "Range: bytes=0-4\r\nIf-Range: \"stale\"\r\n");

        Assert.Equal((206, "hello"), (current.Status, current.Text));
        Assert.Equal((200, HelloText), (stale.Status, stale.Text));
    }

    [Fact]
    public async Task File_Head_HasTheLengthAndNoBody()
    {
        using var connection = await HttpTesting.ConnectAsync(_server.Port);
        await connection.SendAsync("HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = await connection.ReadResponseAsync(head: true);
        await connection.SendAsync("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        var next = await connection.ReadResponseAsync(); // the HEAD response had no body to skip

        Assert.Equal("17", head.Header("Content-Length"));
        Assert.Equal(HelloText, next.Text);
    }

    [Fact]
    public async Task File_Post_Answers405()
    {
        var response = await GetAsync("/hello.txt", "Content-Length: 0\r\n", method: "POST");

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Fact]
    public async Task Folder_WithoutIndex_IsListedAsHtml()
    {
        var response = await GetAsync("/list/");

        Assert.Equal(200, response.Status);
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        var html = response.Text;
        Assert.Contains("<a href=\"a%20folder/\">a folder/</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"b.txt\">b.txt</a>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;odd&gt; &amp; name.txt", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"../\">../</a>", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("a folder/", StringComparison.Ordinal) < html.IndexOf("b.txt", StringComparison.Ordinal), "folders come first");
    }

    [Fact]
    public async Task Folder_WithoutTrailingSlash_Redirects()
    {
        var response = await GetAsync("/list?x=1");

        Assert.Equal(301, response.Status);
        Assert.Equal("/list/?x=1", response.Header("Location"));
    }

    [Fact]
    public async Task Folder_WithIndexHtml_ServesIt()
    {
        var response = await GetAsync("/with%20index/");

        Assert.Equal("<p>index</p>", response.Text);
        Assert.Equal("text/html", response.Header("Content-Type"));
    }

    [Fact]
    public async Task Folder_ListingsOff_Answers403()
    {
        await using var server = await ServeAsync(listing: false, gzip: false);

        var response = await HttpTesting.SendAsync(server.Port, "GET /list/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(403, response.Status);
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2E%2E%2Fsecret.txt")]
    [InlineData("/list/..%2f..%2fsecret.txt")]
    [InlineData("/list/%2e%2e/%2e%2e/secret.txt")]
    [InlineData("/escape.txt")]
    [InlineData("/escape/secret.txt")]
    [InlineData("/escape/")]
    [InlineData("/missing.txt")]
    public async Task Path_OutsideTheFolderOrMissing_Answers404(string target)
    {
        var response = await GetAsync(target);

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("secret", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_WithAnEncodedNul_IsRefusedByKestrel()
    {
        var response = await GetAsync("/hello.txt%00.html");

        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task Path_LinkInsideTheFolder_IsServed()
    {
        var response = await GetAsync("/alias.txt");

        Assert.Equal((200, HelloText), (response.Status, response.Text));
    }

    [Fact]
    public async Task Gzip_TextToAClientThatAcceptsIt_IsCompressed()
    {
        _root.Write("big.txt", string.Concat(Enumerable.Repeat("compressible text ", 2000)));
        await using var server = await ServeAsync(listing: true, gzip: true);

        var zipped = await HttpTesting.SendAsync(server.Port, "GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        var plain = await HttpTesting.SendAsync(server.Port, "GET /big.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        using var unzip = new GZipStream(new MemoryStream(zipped.Body), CompressionMode.Decompress);

        Assert.Equal("gzip", zipped.Header("Content-Encoding"));
        Assert.Equal(Encoding.UTF8.GetString(plain.Body), await new StreamReader(unzip).ReadToEndAsync());
        Assert.NotEqual(zipped.Header("ETag"), plain.Header("ETag"));
        Assert.Null(plain.Header("Content-Encoding"));
    }

    [Theory]
    [InlineData("bytes=0-0", 10, true, 0, 1)]
    [InlineData("bytes=5-", 10, true, 5, 5)]
    [InlineData("bytes=-20", 10, true, 0, 10)]
    [InlineData("bytes=10-", 10, false, 0, 0)]
    [InlineData("bytes=-0", 10, false, 0, 0)]
    [InlineData("bytes=0-1,4-5", 10, true, 0, 10)]
    [InlineData("items=0-1", 10, true, 0, 10)]
    [InlineData("bytes=5-2", 10, true, 0, 10)]
    public void TryParseRange_Header_GivesTheRangeOrUnsatisfiable(string header, long length, bool satisfiable, long offset, long count)
    {
        Assert.Equal(satisfiable, StaticFileHandler.TryParseRange(header, length, out var actualOffset, out var actualCount));
        if (satisfiable)
        {
            Assert.Equal((offset, count), (actualOffset, actualCount));
        }
    }
}
