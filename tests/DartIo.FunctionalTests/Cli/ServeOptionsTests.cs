using System.Net;
using System.Runtime.Versioning;
using DartIo.Cli.Commands;
using DartIo.Cli.Hosting;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// <c>dartio serve</c>'s options as they reach <see cref="ServeSettings"/> (parsed in-process), its startup output, the
/// short aliases, <c>--quiet</c> and <c>--open</c> (run as a process).
/// </summary>
public sealed class ServeOptionsTests : IDisposable
{
    private readonly TemporaryDirectory _site = new();

    public ServeOptionsTests()
    {
        _site.Write("index.html", "<p>app</p>");
        _site.Write("app/shell.html", "<p>shell</p>");
        _site.Write(".hidden/page.html", "<p>hidden</p>");
    }

    public void Dispose() => _site.Dispose();

    private ServeCommand.Request Read(params string[] args)
    {
        using var host = new ToolHost(TextWriter.Null, TextWriter.Null, processWide: false);
        var serve = new ServeCommand(host);
        var parse = serve.Command.Parse([_site.Path, .. args]);
        Assert.Empty(parse.Errors);
        return serve.Read(parse);
    }

    private string ReadError(params string[] args) => Assert.Throws<UsageException>(() => Read(args)).Message;

    [Fact]
    public void Read_NoOptions_TheToolsDefaults()
    {
        var request = Read();

        var settings = request.Settings;
        Assert.Equal(_site.Path, settings.Root);
        Assert.True(settings.Listing);
        Assert.True(settings.AccessLog);
        Assert.Equal(AccessLogFormat.Combined, settings.LogFormat);
        Assert.False(settings.Compress || settings.Dotfiles || settings.RequireClientCertificate);
        Assert.Null(settings.CorsOrigin ?? settings.CacheControl ?? settings.SpaFallback);
        Assert.Empty(settings.Headers);
        Assert.Equal(new ListenOptions("localhost", 8080, false, 1), request.Listen);
        Assert.Null(request.Tls);
        Assert.False(request.Open);
    }

    [Fact]
    public void Read_EveryOption_ReachesTheSettings()
    {
        var request = Read("-a", "127.0.0.1", "-p", "0", "-q", "--gzip", "--no-listing", "--dotfiles", "--cors", "https://App.Example:443",
            "--header", "X-Frame-Options: DENY", "--header", "X-Served-By:dartio ", "--cache-control", "no-cache", "--spa", "app/shell.html",
            "--log-format", "json", "--open", "--workers", "3");

        var settings = request.Settings;
        Assert.Equal(("127.0.0.1", 0, 3), (request.Listen.Address, request.Listen.Port, request.Listen.Workers));
        Assert.False(settings.AccessLog);
        Assert.True(settings.Compress);
        Assert.False(settings.Listing);
        Assert.True(settings.Dotfiles);
        Assert.Equal("https://app.example", settings.CorsOrigin); // as the Origin header has it
        Assert.Equal([new("X-Frame-Options", "DENY"), new("X-Served-By", "dartio")], settings.Headers);
        Assert.Equal("no-cache", settings.CacheControl);
        Assert.Equal("app/shell.html", settings.SpaFallback);
        Assert.Equal(AccessLogFormat.Json, settings.LogFormat);
        Assert.True(request.Open);
    }

    [Theory]
    [InlineData("*", "--cors")]
    [InlineData("*", "--cors", "--gzip")] // followed by another option
    [InlineData("*", "--cors", "*")]
    [InlineData("https://example.com", "--cors", "https://example.com")]
    [InlineData("http://localhost:5173", "--cors", "http://localhost:5173/")]
    [InlineData("null", "--cors", "null")]
    [InlineData("https://xn--bcher-kva.example", "--cors", "https://bücher.example")] // as browsers send it: was refused
    [InlineData("https://xn--bcher-kva.example:8443", "--cors", "https://B\u00dcCHER.example:8443/")]
    [InlineData("http://[::1]:8080", "--cors", "http://[::1]:8080")]
    public void Read_Cors_TheOriginOrAnyWithoutOne(string expected, params string[] args)
    {
        Assert.Equal(expected, Read(args).Settings.CorsOrigin);
    }

    [Theory]
    [InlineData("--max-age", "60", "public, max-age=60")]
    [InlineData("--max-age", "0", "public, max-age=0")]
    [InlineData("--cache-control", "public, max-age=31536000, immutable", "public, max-age=31536000, immutable")]
    public void Read_CacheControlOrMaxAge_TheCacheControlValue(string option, string value, string expected)
    {
        Assert.Equal(expected, Read(option, value).Settings.CacheControl);
    }

    [Theory]
    [InlineData("--cors takes an origin", "--cors", "./site")]
    [InlineData("--cors takes an origin", "--cors", "https://example.com/path")]
    [InlineData("--header takes 'Name: value'", "--header", "no colon")]
    [InlineData("--header takes 'Name: value'", "--header", ": value")]
    [InlineData("--header: 'Bad Name' is not a header name", "--header", "Bad Name: value")]
    [InlineData("--header: a header value is printable ASCII without CR or LF", "--header", "X-A: one\r\nX-B: two")]
    [InlineData("--header: a header value is printable ASCII without CR or LF", "--header", "X-A: caf\u00e9")]
    [InlineData("--cache-control: a header value is printable ASCII without CR or LF", "--cache-control", "no-cache\nX: y")]
    [InlineData("--cache-control and --max-age both set Cache-Control: give one", "--cache-control", "no-cache", "--max-age", "60")]
    [InlineData("--max-age must be a whole number from 0 to", "--max-age", "-1")]
    [InlineData("--spa: 'missing.html' is not a file under", "--spa", "missing.html")]
    [InlineData("--spa: 'app' is not a file under", "--spa", "app")]
    [InlineData("--spa: '../outside.html' is not a file under", "--spa", "../outside.html")]
    [InlineData("--spa: '.hidden/page.html' is not a file under", "--spa", ".hidden/page.html")] // hidden without --dotfiles
    [InlineData("--log-format takes combined or json, not 'xml'", "--log-format", "xml")]
    public void Read_BadValue_OneLineSayingWhy(string expected, params string[] args)
    {
        var message = ReadError(args);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
    }

    [Fact]
    public void Read_SpaHiddenWithDotfiles_Allowed()
    {
        Assert.Equal(".hidden/page.html", Read("--spa", ".hidden/page.html", "--dotfiles").Settings.SpaFallback);
    }

    [Fact]
    public void UrlsToUse_EveryInterface_OnePerAddressLoopbackFirstLinkLocalLeftOut()
    {
        IPAddress[] local = [IPAddress.Parse("192.0.2.7"), IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::7"), IPAddress.IPv6Loopback, IPAddress.Loopback];

        Assert.Equal(["http://127.0.0.1:80/", "http://[::1]:80/", "http://192.0.2.7:80/", "http://[2001:db8::7]:80/"],
            Urls.ToUse("http", 80, local, ipv4: true, ipv6: true));
        Assert.Equal(["https://127.0.0.1:443/", "https://192.0.2.7:443/"], Urls.ToUse("https", 443, local, ipv4: true, ipv6: false));
        Assert.Equal(["http://[::1]:80/", "http://[2001:db8::7]:80/"], Urls.ToUse("http", 80, local, ipv4: false, ipv6: true));
    }

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("localhost", false)]
    [InlineData("::1", false)]
    public void UrlsIsEveryInterface_OnlyTheWildcardAddresses(string address, bool expected)
    {
        Assert.Equal(expected, Urls.IsEveryInterface(address));
    }

    [Fact]
    public void UrlsToUse_OneAddress_ItsOneUrl()
    {
        Assert.Equal(["http://[::1]:8080/"], Urls.ToUse("http", "::1", 8080, v6Only: false));
    }

    [Fact]
    public async Task Serve_ShortAliasesAndQuiet_BindThereAndLogNoRequests()
    {
        _site.Write("hello.txt", "short");
        await using var tool = DartioProcess.Start("serve", _site.Path, "-a", "127.0.0.1", "-p", "0", "-q");

        var listening = await tool.ReadLineAsync();
        Assert.Matches(@"^listening on http://127\.0\.0\.1:\d+/$", listening);
        Assert.Equal($"serving {_site.Path}: 1 worker, plain HTTP", await tool.ReadLineAsync()); // 1 worker by default
        var url = listening!["listening on ".Length..];
        using var client = HttpTesting.Client();
        Assert.Equal("short", await client.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
        Assert.DoesNotContain("GET /hello.txt", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithoutQuiet_LogsTheRequest()
    {
        _site.Write("hello.txt", "logged");
        await using var tool = DartioProcess.Start("serve", _site.Path, "-a", "127.0.0.1", "-p", "0");
        var url = await tool.ReadUrlAsync();

        using var client = HttpTesting.Client();
        Assert.Equal("logged", await client.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
        Assert.Contains("\"GET /hello.txt HTTP/1.1\" 200", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echo_Verbose_LogsEachConnectionAtDebug()
    {
        await using var quiet = DartioProcess.Start("echo", "-a", "127.0.0.1", "-p", "0", "--workers", "1");
        await using var verbose = DartioProcess.Start("-v", "echo", "-a", "127.0.0.1", "-p", "0", "--workers", "1");
        foreach (var tool in (DartioProcess[])[quiet, verbose])
        {
            var url = (await tool.ReadUrlAsync())!;
            var port = ServeCommandTests.PortOf(url);
            using var socket = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
            Assert.Equal("hi", await Loopback.RoundTripAsync(socket, "hi"));
            Assert.Equal(0, await tool.StopAsync());
        }

        Assert.DoesNotContain("Accepted a connection", await quiet.ReadAllErrorAsync(), StringComparison.Ordinal);
        Assert.Contains("Accepted a connection", await verbose.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    [SupportedOSPlatform("linux")] // the browser is a shell script
    public async Task Serve_Open_RunsBrowserWithTheUrl()
    {
        using var scratch = new TemporaryDirectory();
        var opened = scratch.File("opened");
        var browser = scratch.Write("browser.sh", $"#!/bin/sh\nprintf '%s' \"$1\" > '{opened}.tmp' && mv '{opened}.tmp' '{opened}'\n");
        File.SetUnixFileMode(browser, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var written = FileAppears(scratch.Path, "opened");
        await using var tool = DartioProcess.Start(new Dictionary<string, string> { ["BROWSER"] = browser },
            "serve", _site.Path, "-a", "127.0.0.1", "-p", "0", "--open");

        var url = await tool.ReadUrlAsync();
        await written.Within();

        Assert.Equal(url, await File.ReadAllTextAsync(opened));
        Assert.Equal(0, await tool.StopAsync());
        Assert.DoesNotContain("warning", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OpenWithABrowserThatIsNotThere_WarnsAndServesOn()
    {
        _site.Write("hello.txt", "still serving");
        await using var tool = DartioProcess.Start(new Dictionary<string, string> { ["BROWSER"] = _site.File("no-such-browser") },
            "serve", _site.Path, "-a", "127.0.0.1", "-p", "0", "--open", "-q");
        var url = await tool.ReadUrlAsync();

        using var client = HttpTesting.Client();
        Assert.Equal("still serving", await client.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
        Assert.Contains($"dartio: warning: could not open a browser on {url}", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "xdg-open", "URL")]
    [InlineData("firefox", "firefox", "URL")]
    [InlineData("/opt/My Browser/run", "/opt/My Browser/run", "URL")]
    [InlineData("chromium --new-window %s:firefox", "chromium", "--new-window URL")]
    public void BrowserCommand_FromBrowserVariable_ProgramAndArguments(string? variable, string program, string arguments)
    {
        var (actualProgram, actualArguments) = Browser.Command("URL", variable);

        Assert.Equal(program, actualProgram);
        Assert.Equal(arguments, string.Join(' ', actualArguments));
    }

    [Theory]
    [InlineData("'/opt/My Browser/run' --new-window %s", "/opt/My Browser/run", "--new-window", "URL")]
    [InlineData("\"/opt/My Browser/run\" %s", "/opt/My Browser/run", "URL")]
    [InlineData("firefox \"%s\"", "firefox", "URL")]
    [InlineData("firefox '%s'", "firefox", "URL")]
    [InlineData("/opt/My\\ Browser/run --title \"a \\\"b\\\" c\" %s", "/opt/My Browser/run", "--title", "a \"b\" c", "URL")]
    [InlineData("run  --x=%s#top  ", "run", "--x=URL#top")]
    [InlineData("run ';' '$(id)' %s", "run", ";", "$(id)", "URL")] // words, never shell code
    public void BrowserCommand_PercentSWithQuotedWords_SplitAsPythonsShlexDoes(string variable, string program, params string[] arguments)
    {
        var (actualProgram, actualArguments) = Browser.Command("URL", variable);

        Assert.Equal(program, actualProgram);
        Assert.Equal(arguments, actualArguments);
    }

    /// <summary>Completes when a file of that name appears in the folder (created or renamed into it).</summary>
    private static Task FileAppears(string folder, string name)
    {
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = new FileSystemWatcher(folder, name) { EnableRaisingEvents = true };
        watcher.Created += (_, _) => appeared.TrySetResult();
        watcher.Renamed += (_, _) => appeared.TrySetResult();
        if (File.Exists(Path.Combine(folder, name)))
        {
            appeared.TrySetResult();
        }

        return appeared.Task.ContinueWith(_ => watcher.Dispose(), TaskScheduler.Default);
    }
}
