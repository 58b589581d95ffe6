using System.Globalization;
using System.IO.Compression;
using System.Text;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
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
        _root.Write(".env", "SECRET=1");
        _root.Write(".git/config", "[core]");
        _root.Write("list/.hidden", "hidden");
        _root.Write(".well-known/security.txt", "Contact: mailto:security@example.com");
        _root.Write("data.json", "{\"a\": \"é\"}");
        _root.Write("image.svg", "<svg/>");
        _root.Write("script.js", "let a = 1;");
        _server = await ServeAsync(listing: true, gzip: false);
    }

    public async Task DisposeAsync()
    {
        await _server.CloseAsync();
        _root.Dispose();
        _outside.Dispose();
    }

    private async Task<HttpServer> ServeAsync(bool listing, bool gzip, bool dotfiles = false)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(new StaticFileHandler(new ServeSettings { Root = _root.Path, Listing = listing, Compress = gzip, Dotfiles = dotfiles }, log: null).HandleAsync);
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
        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(HelloText.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.NotNull(response.Header("ETag"));
        var modified = DateTime.Parse(response.Header("Last-Modified")!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.Equal(File.GetLastWriteTimeUtc(_root.File("hello.txt")), modified, TimeSpan.FromSeconds(1));
        Assert.Equal("text/html; charset=utf-8", (await GetAsync("/page.html")).Header("Content-Type"));
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
        Assert.Contains("<a href=\"a%20folder/\">", html, StringComparison.Ordinal);
        Assert.Contains("<span>a folder/</span>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"b.txt\">", html, StringComparison.Ordinal);
        Assert.Contains("<span>&lt;odd&gt; &amp; name.txt</span>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"../\">", html, StringComparison.Ordinal);
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
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
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
    [InlineData("/.env")]
    [InlineData("/.git/config")]
    [InlineData("/.git/")]
    [InlineData("/list/.hidden")]
    [InlineData("/%2Eenv")]
    [InlineData("/.well-known/../.env")]
    public async Task Path_OutsideTheFolderHiddenOrMissing_Answers404(string target)
    {
        var response = await GetAsync(target);

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("secret", response.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Path_EncodedDotsAndSlashesTowardsARealFileOutside_Answers404()
    {
        var outside = Path.GetFileName(_outside.Path);

        var dots = await GetAsync($"/%2e%2e/{outside}/secret.txt");
        var slashes = await GetAsync($"/list/..%2F..%2F{outside}%2Fsecret.txt");
        var both = await GetAsync($"/%2F%2e%2e%2F{outside}%2Fsecret.txt");

        Assert.All([dots, slashes, both], response => Assert.Equal(404, response.Status));
    }

    [Fact]
    public void Resolve_DotSegmentsOrHiddenNames_AreRefusedEvenIfThePathWasNotNormalized()
    {
        var paths = new SafePaths(_root.Path, dotfiles: false);
        var outside = Path.GetFileName(_outside.Path);

        Assert.Null(paths.Resolve($"/../{outside}/secret.txt"));
        Assert.Null(paths.Resolve("/list/./../hello.txt"));
        Assert.Null(paths.Resolve("/\\hello.txt"));
        Assert.Null(paths.Resolve("/.git/config"));
        Assert.Null(paths.Resolve("/list/.hidden"));
        Assert.NotNull(paths.Resolve("/.well-known/security.txt"));
        Assert.NotNull(new SafePaths(_root.Path, dotfiles: true).Resolve("/.git/config"));
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
    [InlineData("//list", "/list/")]
    [InlineData("///list?x=1", "/list/?x=1")]
    [InlineData("//list//a%20folder", "/list/a%20folder/")]
    [InlineData("/list?\u001b[31m\u007f", "/list/?%1B[31m%7F")] // controls Kestrel would refuse in a header: a 500 before
    public async Task Folder_TargetWithLeadingSlashes_RedirectsToAnOriginRelativePath(string target, string location)
    {
        var response = await GetAsync(target);

        Assert.Equal(301, response.Status);
        Assert.Equal(location, response.Header("Location"));
    }

    [Theory]
    [InlineData("/\\list")]
    [InlineData("/%5Clist")]
    [InlineData("/%2F%2Flist")]
    public async Task Folder_TargetThatABrowserReadsAsSchemeRelative_IsNeverRedirectedThere(string target)
    {
        var response = await GetAsync(target);

        Assert.False(response.Header("Location") is { } location && (location.StartsWith("//", StringComparison.Ordinal) || location.StartsWith("/\\", StringComparison.Ordinal)),
            $"Location: {response.Header("Location")}");
    }

    [Fact]
    public async Task Dotfile_ByDefault_IsNotListedButWellKnownIs()
    {
        var root = (await GetAsync("/")).Text;
        var list = (await GetAsync("/list/")).Text;

        Assert.DoesNotContain(">.env<", root, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\".env\"", root, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\".git/\"", root, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\".hidden\"", list, StringComparison.Ordinal);
        Assert.Contains("href=\".well-known/\"", root, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotfile_WithDotfiles_IsServedAndListed()
    {
        await using var server = await ServeAsync(listing: true, gzip: false, dotfiles: true);

        var file = await HttpTesting.SendAsync(server.Port, "GET /.git/config HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var listing = await HttpTesting.SendAsync(server.Port, "GET /list/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal((200, "[core]"), (file.Status, file.Text));
        Assert.Contains("<a href=\".hidden\">", listing.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 404)]
    [InlineData(true, 200)]
    public async Task Dotfile_BehindALinkWithAnOrdinaryName_IsHiddenUnlessDotfilesAreServed(bool dotfiles, int status)
    {
        File.CreateSymbolicLink(Path.Join(_root.Path, "cfg"), ".git/config");
        Directory.CreateSymbolicLink(Path.Join(_root.Path, "repo"), ".git");
        await using var server = await ServeAsync(listing: true, gzip: false, dotfiles: dotfiles);

        var file = await HttpTesting.SendAsync(server.Port, "GET /cfg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var throughFolder = await HttpTesting.SendAsync(server.Port, "GET /repo/config HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(status, file.Status);
        Assert.Equal(status, throughFolder.Status);
    }

    [Fact]
    public async Task Dotfile_WellKnown_IsServed()
    {
        var response = await GetAsync("/.well-known/security.txt");

        Assert.Equal((200, "Contact: mailto:security@example.com"), (response.Status, response.Text));
    }

    [Theory]
    [InlineData("Range: bytes=0-4\r\nRange: bytes=5-6\r\n")]
    [InlineData("Range: bytes=0-4\r\nIf-Range: \"a\"\r\nIf-Range: \"b\"\r\n")]
    [InlineData("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")]
    [InlineData("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n")]
    public async Task File_SingleValuedHeaderSentTwice_IsIgnored(string headers)
    {
        var response = await GetAsync("/hello.txt", headers);

        Assert.Equal((200, HelloText), (response.Status, response.Text));
    }

    [Theory]
    [InlineData("/hello.txt", 200)]
    [InlineData("/list", 301)]
    [InlineData("/with%20index/", 200)]
    public async Task Target_AbsoluteForm_IsServedAsItsPath(string path, int status)
    {
        // Kestrel wants the Host header to name the target's authority (a mismatch is 400).
        var response = await HttpTesting.SendAsync(_server.Port, $"GET http://127.0.0.1:{_server.Port}{path} HTTP/1.1\r\nHost: 127.0.0.1:{_server.Port}\r\nConnection: close\r\n\r\n");

        Assert.Equal(status, response.Status);
        if (status == 301)
        {
            Assert.Equal(path + "/", response.Header("Location"));
        }
    }

    [Theory]
    [InlineData("/hello.txt", "text/plain; charset=utf-8")]
    [InlineData("/page.html", "text/html; charset=utf-8")]
    [InlineData("/data.json", "application/json; charset=utf-8")]
    [InlineData("/image.svg", "image/svg+xml; charset=utf-8")]
    [InlineData("/script.js", "text/javascript; charset=utf-8")]
    public async Task File_Text_NamesUtf8AsItsCharset(string path, string contentType)
    {
        Assert.Equal(contentType, (await GetAsync(path)).Header("Content-Type"));
    }

    [Fact]
    public async Task File_WithATrailingSlash_Answers404()
    {
        Assert.Equal(404, (await GetAsync("/hello.txt/")).Status);
    }

    [Fact]
    public async Task File_IfMatch_Answers412UnlessItMatches()
    {
        var etag = (await GetAsync("/hello.txt")).Header("ETag");

        var other = await GetAsync("/hello.txt", "If-Match: \"other\"\r\n");
        var weak = await GetAsync("/hello.txt", $"If-Match: W/{etag}\r\n");
        var same = await GetAsync("/hello.txt", $"If-Match: \"other\", {etag}\r\n");
        var any = await GetAsync("/hello.txt", "If-Match: *\r\n");

        Assert.Equal(412, other.Status);
        Assert.Equal(412, weak.Status);
        Assert.Equal((200, HelloText), (same.Status, same.Text));
        Assert.Equal(200, any.Status);
    }

    [Fact]
    public async Task File_IfUnmodifiedSince_Answers412WhenModifiedSince()
    {
        var modified = File.GetLastWriteTimeUtc(_root.File("hello.txt"));
        var earlier = modified.AddHours(-1).ToString("R", CultureInfo.InvariantCulture);
        var later = modified.AddHours(1).ToString("R", CultureInfo.InvariantCulture);

        var changed = await GetAsync("/hello.txt", $"If-Unmodified-Since: {earlier}\r\n");
        var unchanged = await GetAsync("/hello.txt", $"If-Unmodified-Since: {later}\r\n");
        var ifMatchFirst = await GetAsync("/hello.txt", $"If-Match: *\r\nIf-Unmodified-Since: {earlier}\r\n");

        Assert.Equal(412, changed.Status);
        Assert.Equal(200, unchanged.Status);
        Assert.Equal(200, ifMatchFirst.Status); // RFC 9110 13.2.2: If-Unmodified-Since only counts without If-Match
    }

    [Fact]
    public async Task Gzip_Head_AnswersWithTheHeadersOfTheGet()
    {
        _root.Write("big.txt", string.Concat(Enumerable.Repeat("compressible text ", 2000)));
        await using var server = await ServeAsync(listing: true, gzip: true);
        const string Request = "{0} /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";

        var get = await HttpTesting.SendAsync(server.Port, string.Format(CultureInfo.InvariantCulture, Request, "GET"));
        var head = await HttpTesting.SendAsync(server.Port, string.Format(CultureInfo.InvariantCulture, Request, "HEAD"));

        Assert.Equal(200, head.Status);
        foreach (var name in (string[])["Content-Encoding", "Content-Type", "ETag", "Vary", "Content-Length"])
        {
            Assert.True(get.Header(name) == head.Header(name), $"{name}: GET {get.Header(name)}, HEAD {head.Header(name)}");
        }

        Assert.Equal("gzip", head.Header("Content-Encoding"));
        Assert.Null(head.Header("Content-Length")); // the GET is chunked: a HEAD's 0 told caches the body was empty
    }

    [Fact]
    public async Task Gzip_IfNoneMatchWithTheGzipETag_Answers304()
    {
        _root.Write("big.txt", string.Concat(Enumerable.Repeat("compressible text ", 2000)));
        await using var server = await ServeAsync(listing: true, gzip: true);
        const string Request = "GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n{0}Connection: close\r\n\r\n";
        var etag = (await HttpTesting.SendAsync(server.Port, string.Format(CultureInfo.InvariantCulture, Request, ""))).Header("ETag");

        var again = await HttpTesting.SendAsync(server.Port, string.Format(CultureInfo.InvariantCulture, Request, $"If-None-Match: {etag}\r\n"));

        Assert.Equal(304, again.Status);
        Assert.Equal(etag, again.Header("ETag"));
    }

    [Theory]
    [InlineData("gzip;q=0", null)]
    [InlineData("gzip; q=0.000, identity", null)]
    [InlineData("*;q=0", null)]
    [InlineData("gzip;q=0.5", "gzip")]
    [InlineData("br, *", "br")]
    [InlineData("br, GZIP", "br")] // a tie: the server prefers brotli
    [InlineData("gzip, deflate, br, zstd", "br")] // what browsers send
    [InlineData("*, gzip;q=0", "br")] // '*' counts for what is not named
    [InlineData("*", "br")]
    [InlineData("gzip;q=0.5, br;q=1", "br")]
    [InlineData("br;q=0.5, gzip;q=0.8", "gzip")]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("gzip;q=0.5, identity", null)] // identity named, and preferred
    [InlineData("identity;q=0", null)] // nothing else acceptable: identity all the same, never 406
    [InlineData("gzip;q=oops", null)] // malformed: identity
    public async Task Compress_AcceptEncodingQuality_IsHonoured(string acceptEncoding, string? coding)
    {
        _root.Write("big.txt", string.Concat(Enumerable.Repeat("compressible text ", 2000)));
        await using var server = await ServeAsync(listing: true, gzip: true);

        var response = await HttpTesting.SendAsync(server.Port, $"GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {acceptEncoding}\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal(coding, response.Header("Content-Encoding"));
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
    }

    [Fact]
    public async Task AccessLog_AbortedDownload_RecordsTheBytesReallySent()
    {
        const int Size = 40 << 20;
        _root.Write("big.bin", new byte[Size]);
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(new StaticFileHandler(new ServeSettings { Root = _root.Path }, log).HandleAsync);
        using (var connection = await HttpTesting.ConnectAsync(server.Port))
        {
            connection.Socket.ReceiveBufferSize = 64 * 1024;
            await connection.SendAsync("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            var some = new byte[4096];
            Assert.True(await connection.Socket.ReceiveAsync(some.AsMemory()).Within() > 0);
            connection.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // a reset, as a browser's cancel can be
        }

        var line = await lines.NextAsync();

        var match = System.Text.RegularExpressions.Regex.Match(line, "\"GET /big.bin HTTP/1.1\" 200 (\\d+) ");
        Assert.True(match.Success, line);
        var bytes = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(bytes, 1, Size - 1);
    }

    [Fact]
    public async Task AccessLog_ControlCharactersInTheTarget_AreEscaped()
    {
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(new StaticFileHandler(new ServeSettings { Root = _root.Path }, log).HandleAsync);

        await HttpTesting.SendAsync(server.Port, "GET /missing?\u001b[31mred\u0007\"x\\ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var line = await lines.NextAsync();

        Assert.Contains("\"GET /missing?\\x1B[31mred\\x07\\x22x\\x5C HTTP/1.1\" 404 ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/plain/é", "/plain/é")]
    [InlineData("/\u009b31mred", "/\\x9B31mred")] // a C1 CSI, which an HTTP/2 :path can carry
    [InlineData("/\u001b[2J\u007f", "/\\x1B[2J\\x7F")]
    public void AccessLog_Escape_RewritesControlsOnly(string target, string logged)
    {
        Assert.Equal(logged, AccessLog.Escape(target));
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
