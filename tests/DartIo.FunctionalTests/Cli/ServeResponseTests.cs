using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>What the serve options ask of every response: CORS, extra headers, Cache-Control, the single-page-app fallback, ACME.</summary>
public sealed class ServeResponseTests : IDisposable
{
    private const string AppPage = "<!doctype html><title>app</title>";

    private readonly TemporaryDirectory _root = new();
    private readonly TemporaryDirectory _outside = new();

    public ServeResponseTests()
    {
        _root.Write("index.html", AppPage);
        _root.Write("hello.txt", "hello");
        _root.Write("folder/x.txt", "x");
        _root.Write(".env", "SECRET=1");
        _root.Write(".well-known/acme-challenge/Xy_8-token", "Xy_8-token.thumbprint");
        _root.Write("docs/readme.txt", "readme");
    }

    public void Dispose()
    {
        _root.Dispose();
        _outside.Dispose();
    }

    /// <summary>One of each kind of answer: a file, a listing, an error, a redirect, a 304.</summary>
    private static async Task<Dictionary<string, RawResponse>> EveryKindAsync(StaticFileServer server)
    {
        var etag = (await server.SendAsync("/hello.txt")).Header("ETag");
        return new()
        {
            ["file"] = await server.SendAsync("/hello.txt"),
            ["listing"] = await server.SendAsync("/docs/"),
            ["error"] = await server.SendAsync("/missing.txt"),
            ["redirect"] = await server.SendAsync("/folder"),
            ["not modified"] = await server.SendAsync("/hello.txt", $"If-None-Match: {etag}\r\n"),
            ["not allowed"] = await server.SendAsync("/hello.txt", "Content-Length: 0\r\n", "POST"),
        };
    }

    [Fact]
    public async Task Cors_AnyOrigin_IsOnEveryResponseWithoutVaryOrigin()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, CorsOrigin = "*" });

        foreach (var (kind, response) in await EveryKindAsync(server))
        {
            Assert.True(response.Header("Access-Control-Allow-Origin") == "*", kind);
            Assert.DoesNotContain("Origin", response.Header("Vary") ?? string.Empty, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Cors_OneOrigin_IsNamedAndVariesOnOrigin()
    {
        await using var server = await StaticFileServer.StartAsync(
            new ServeSettings { Root = _root.Path, CorsOrigin = "https://app.example", Compress = true });

        var file = await server.SendAsync("/hello.txt", "Origin: https://other.example\r\nAccept-Encoding: gzip\r\n");
        var error = await server.SendAsync("/missing.txt");

        Assert.Equal("https://app.example", file.Header("Access-Control-Allow-Origin"));
        Assert.Equal("Origin, Accept-Encoding", string.Join(", ", file.All("Vary")));
        Assert.Equal("Origin", error.Header("Vary"));
    }

    [Fact]
    public async Task Cors_Preflight_Answers204AllowingTheMethodsAndTheRequestedHeaders()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, CorsOrigin = "*" });

        var response = await server.SendAsync("/hello.txt",
            "Origin: https://app.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range, x-trace-id\r\n", "OPTIONS");

        Assert.Equal(204, response.Status);
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("GET, HEAD, OPTIONS", response.Header("Access-Control-Allow-Methods"));
        Assert.Equal("range, x-trace-id", response.Header("Access-Control-Allow-Headers"));
        Assert.Equal("7200", response.Header("Access-Control-Max-Age"));
        Assert.Null(response.Header("Content-Type"));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Cors_PreflightNamingSomethingThatIsNoHeaderName_AllowsNoHeaders()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, CorsOrigin = "*" });

        var response = await server.SendAsync("/",
            "Origin: https://app.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-ok, bad header\r\n", "OPTIONS");

        Assert.Equal(204, response.Status);
        Assert.Null(response.Header("Access-Control-Allow-Headers"));
    }

    [Fact]
    public async Task Cors_OptionsThatIsNoPreflight_Answers204WithAllow()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, CorsOrigin = "*" });

        var response = await server.SendAsync("/hello.txt", method: "OPTIONS");
        var post = await server.SendAsync("/hello.txt", "Content-Length: 0\r\n", "POST");

        Assert.Equal((204, "GET, HEAD, OPTIONS"), (response.Status, response.Header("Allow")));
        Assert.Null(response.Header("Access-Control-Allow-Methods"));
        Assert.Equal((405, "GET, HEAD, OPTIONS"), (post.Status, post.Header("Allow")));
    }

    [Fact]
    public async Task Cors_Off_OptionsIsStill405AndNoCorsHeaders()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path });

        var response = await server.SendAsync("/hello.txt", "Origin: https://app.example\r\nAccess-Control-Request-Method: GET\r\n", "OPTIONS");

        Assert.Equal((405, "GET, HEAD"), (response.Status, response.Header("Allow")));
        Assert.Null(response.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Headers_Extra_AreOnEveryKindOfResponseAndReplaceADefaultOfTheSameName()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings
        {
            Root = _root.Path,
            Headers = [new("X-Served-By", "dartio"), new("X-Frame-Options", "DENY"), new("X-Served-By", "tests")],
        });

        foreach (var (kind, response) in await EveryKindAsync(server))
        {
            Assert.True(string.Join(", ", response.All("X-Served-By")) == "dartio, tests", $"{kind}: {string.Join(", ", response.All("X-Served-By"))}");
            Assert.True(string.Join(", ", response.All("X-Frame-Options")) == "DENY", kind);
        }
    }

    [Theory]
    [InlineData("Bad Name", "x")]
    [InlineData("", "x")]
    [InlineData("X-Split", "a\r\nSet-Cookie: b")]
    [InlineData("X-Accent", "café")]
    public void Headers_ThatCannotBeSent_AreRefusedWhenTheHandlerIsMade(string name, string value)
    {
        var settings = new ServeSettings { Root = _root.Path, Headers = [new(name, value)] };

        Assert.Throws<ArgumentException>(() => new StaticFileHandler(settings, log: null));
    }

    [Theory]
    [InlineData("Content-Length", "abc")] // was a 500 on every request
    [InlineData("content-length", "3")]
    [InlineData("Transfer-Encoding", "chunked")] // was a plain body announced as chunked
    [InlineData("Connection", "close")]
    [InlineData("Keep-Alive", "timeout=5")]
    [InlineData("Upgrade", "h2c")]
    [InlineData("TE", "trailers")]
    [InlineData("Trailer", "X-Checksum")]
    [InlineData("Content-Encoding", "gzip")] // was every body, text and errors too, labelled gzip
    [InlineData("Content-Range", "bytes 0-1/2")]
    public void Headers_ThatEachResponseSetsItself_AreRefusedWhenTheHandlerIsMade(string name, string value)
    {
        var settings = new ServeSettings { Root = _root.Path, Headers = [new(name, value)] };

        var refused = Assert.Throws<ArgumentException>(() => new StaticFileHandler(settings, log: null));
        Assert.Contains($"'{name}: {value}' cannot be sent with every response", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://a.example\r\nSet-Cookie: b")]
    [InlineData("https://café.example")]
    public void Cors_OriginThatCannotBeSent_IsRefusedWhenTheHandlerIsMade(string origin)
    {
        Assert.Throws<ArgumentException>(() => new StaticFileHandler(new ServeSettings { Root = _root.Path, CorsOrigin = origin }, log: null));
    }

    [Fact]
    public async Task CacheControl_IsOnFilesListingsAnd304ButNotOnErrors()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, CacheControl = "public, max-age=60" });

        var responses = await EveryKindAsync(server);

        Assert.Equal("public, max-age=60", responses["file"].Header("Cache-Control"));
        Assert.Equal("public, max-age=60", responses["listing"].Header("Cache-Control"));
        Assert.Equal("public, max-age=60", responses["not modified"].Header("Cache-Control"));
        Assert.Null(responses["error"].Header("Cache-Control"));
        Assert.Null(responses["not allowed"].Header("Cache-Control"));
        Assert.Null(responses["redirect"].Header("Cache-Control"));
    }

    [Theory]
    [InlineData("/users/42")]
    [InlineData("/settings")]
    [InlineData("/deep/route/")]
    [InlineData("/v1.2/route")] // a dot before the last segment is no extension
    public async Task Spa_UnknownPathWithoutAnExtension_GetsTheFallbackPage(string path)
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, SpaFallback = "index.html" });

        var response = await server.SendAsync(path);

        Assert.Equal((200, AppPage), (response.Status, response.Text));
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Null(response.Header("Location"));
        Assert.NotNull(response.Header("ETag"));
    }

    [Theory]
    [InlineData("/missing.js")]
    [InlineData("/assets/missing.css")]
    [InlineData("/.env")]
    [InlineData("/.git/config")] // hidden: no page in its place either
    [InlineData("/.well-known/acme-challenge/missing")] // ACME must see the 404
    [InlineData("/hello.txt/")]
    public async Task Spa_PathWithAnExtensionHiddenOrWellKnown_Answers404(string path)
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, SpaFallback = "index.html" });

        var response = await server.SendAsync(path);

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("SECRET", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spa_ExistingFilesAndFolders_AreServedAsWithout()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, SpaFallback = "index.html" });

        Assert.Equal("hello", (await server.SendAsync("/hello.txt")).Text);
        Assert.Equal(301, (await server.SendAsync("/folder")).Status);
        Assert.Contains("readme.txt", (await server.SendAsync("/docs/")).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".env")]
    [InlineData("../outside.html")]
    [InlineData("link.html")]
    [InlineData("missing.html")]
    [InlineData("folder")]
    public async Task Spa_FallbackThatIsHiddenOutsideOrNoFile_IsNeverServed(string fallback)
    {
        _outside.Write("outside.html", "outside secret");
        File.CreateSymbolicLink(_root.File("link.html"), _outside.File("outside.html"));
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, SpaFallback = fallback });

        var response = await server.SendAsync("/some/route");

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("SECRET", response.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, "index.html")]
    public async Task WellKnown_AcmeChallengeToken_IsServedWhateverTheDotfilesAndSpaSettings(bool dotfiles, string? spa)
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Dotfiles = dotfiles, SpaFallback = spa });

        var response = await server.SendAsync("/.well-known/acme-challenge/Xy_8-token");

        Assert.Equal((200, "Xy_8-token.thumbprint"), (response.Status, response.Text));
    }
}
