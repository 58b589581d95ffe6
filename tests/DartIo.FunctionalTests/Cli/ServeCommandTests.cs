using System.Globalization;
using System.Net.Sockets;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

public sealed class ServeCommandTests
{
    internal static int PortOf(string url) => int.Parse(url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    [Fact]
    public async Task Serve_Folder_PrintsWhereItListensServesLogsAndExitsCleanlyOnSigterm()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "served by the tool");
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "2");

        var listening = await tool.ReadLineAsync();
        var summary = await tool.ReadLineAsync();
        Assert.NotNull(listening);
        Assert.Matches(@"^listening on http://127\.0\.0\.1:\d+/$", listening);
        Assert.Equal($"serving {folder.Path}: 2 workers, plain HTTP", summary);
        var url = listening["listening on ".Length..];
        using var client = HttpTesting.Client();
        Assert.Equal("served by the tool", await client.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
        var log = await tool.ReadAllErrorAsync();
        Assert.Matches(@"127\.0\.0\.1 - - \[[^\]]+\] ""GET /hello\.txt HTTP/1\.1"" 200 18", log);
    }

    [UnprivilegedFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Serve_FolderItMayNotRead_Answers403NotAnEmptyListing()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("locked/inside.txt", "not to be listed");
        folder.Write("open/inside.txt", "listed");
        const UnixFileMode Everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(folder.Path, Everyone);
        File.SetUnixFileMode(folder.File("open"), Everyone);
        File.SetUnixFileMode(folder.File("open/inside.txt"), Everyone);
        File.SetUnixFileMode(folder.File("locked"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var tool = Unprivileged.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "-q");
        var url = await tool.ReadUrlAsync();
        Assert.NotNull(url);

        using var client = HttpTesting.Client();
        using var locked = await client.GetAsync(url + "locked/");
        using var open = await client.GetAsync(url + "open/");

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, locked.StatusCode); // was 200, "This folder is empty."
        Assert.Equal("Not readable.\n", await locked.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.OK, open.StatusCode);
        Assert.Contains("inside.txt", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await tool.StopAsync());
    }

    [UnprivilegedFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Serve_PrecompressedSiblingItMayNotRead_ServesTheFileItself()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("app.js", "console.log('readable');");
        folder.Write("app.js.br", "a sibling only its owner may read"); // left by a build run under another user, say
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(folder.Path, Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(folder.File("app.js"), Readable);
        File.SetUnixFileMode(folder.File("app.js.br"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var tool = Unprivileged.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "-q");
        var url = await tool.ReadUrlAsync();
        Assert.NotNull(url);

        using var client = HttpTesting.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, url + "app.js") { Headers = { { "Accept-Encoding", "br" } } };
        using var response = await client.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode); // was 403 for every browser: they all accept br
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("console.log('readable');", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task Serve_Sigterm_LetsTheDownloadInFlightFinish()
    {
        using var folder = new TemporaryDirectory();
        var big = new byte[32 << 20];
        new Random(7).NextBytes(big);
        folder.Write("big.bin", big);
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1");
        var url = (await tool.ReadUrlAsync())!;
        using var connection = await HttpTesting.ConnectAsync(PortOf(url));
        connection.Socket.ReceiveBufferSize = 64 * 1024; // so that the server is still sending when it is told to stop
        await connection.SendAsync("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = new byte[1];
        Assert.Equal(1, await connection.Socket.ReceiveAsync(first.AsMemory()).Within());

        var exiting = tool.StopAsync();
        var rest = new MemoryStream();
        rest.Write(first);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await connection.Socket.ReceiveAsync(buffer.AsMemory()).Within()) > 0)
        {
            rest.Write(buffer, 0, read);
        }

        Assert.Equal(0, await exiting);
        var response = rest.ToArray();
        var bodyStart = response.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.Equal(big.Length, response.Length - bodyStart);
        Assert.True(response.AsSpan(bodyStart).SequenceEqual(big));
    }

    [Fact]
    public async Task Serve_Tls_ServesHttpsFromTheDatabase()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "over tls");
        using var database = new TemporaryDirectory();
        CertificateDatabase.Open(database.Path).Add("web", TestCertificates.Server);
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--tls", "web", "--db", database.Path);

        var url = await tool.ReadUrlAsync();
        Assert.NotNull(url);
        Assert.StartsWith("https://127.0.0.1:", url, StringComparison.Ordinal);
        Assert.Equal($"serving {folder.Path}: 1 worker, TLS certificate 'web'", await tool.ReadLineAsync());
        using var client = HttpServerSecureTests.SecureClient();
        Assert.Equal("over tls", await client.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task Serve_TlsWithACertsCreateEntry_ServesAFileAndTheListingOverHttp2()
    {
        // The whole path a user takes (and scripts/publish-aot.sh --check runs against the native binary): the
        // tool makes the certificate, then serves with it.
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "over h2");
        using var database = new TemporaryDirectory();
        var (created, _, createError) = await DartioRun.RunAsync(["certs", "create", "dev", "--dns", "localhost", "--ip", "127.0.0.1", "--db", database.Path]);
        Assert.True(created == 0, createError);
        var thumbprint = CertificateDatabase.Open(database.Path).Find("dev").Thumbprint;
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--tls", "dev", "--db", database.Path);
        var url = await tool.ReadUrlAsync();
        Assert.NotNull(url);

        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == thumbprint;
        using var client = HttpTesting.Client(handler);
        client.DefaultRequestVersion = System.Net.HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var file = await client.GetAsync(url + "hello.txt");
        using var listing = await client.GetAsync(url);

        Assert.Equal((System.Net.HttpStatusCode.OK, System.Net.HttpVersion.Version20, "over h2"),
            (file.StatusCode, file.Version, await file.Content.ReadAsStringAsync()));
        Assert.Equal(System.Net.HttpStatusCode.OK, listing.StatusCode);
        Assert.Equal("text/html", listing.Content.Headers.ContentType?.MediaType);
        Assert.Contains("hello.txt", await listing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task Serve_TlsRequiringClientCertificates_RefusesRequestsWithoutOne()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "for certified clients");
        using var database = new TemporaryDirectory();
        CertificateDatabase.Open(database.Path).Add("web", TestCertificates.Server);
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--tls", "web", "--db", database.Path, "--client-cert", "require");
        var url = (await tool.ReadUrlAsync())!;

        using var anonymous = HttpServerSecureTests.SecureClient();
        using var refused = await anonymous.GetAsync(url + "hello.txt");
        using var certified = HttpServerSecureTests.SecureClient(TestCertificates.Client);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("for certified clients", await certified.GetStringAsync(url + "hello.txt"));
        Assert.Equal(0, await tool.StopAsync());
    }

    [Theory]
    [InlineData("--port", "eighty")]
    [InlineData("--client-cert", "maybe", "--tls", "web")]
    [InlineData("--db", "/tmp")]
    [InlineData("--bogus")]
    [InlineData("/no/such/folder")]
    [InlineData("--header", "Content-Length: abc", "--address", "127.0.0.1", "--port", "0")] // refused by the handler, before the bind
    public async Task Serve_BadArguments_ExitTwoWithAOneLineReason(params string[] args)
    {
        await using var tool = DartioProcess.Start(["serve", .. args]);

        Assert.Equal(2, await tool.WaitForExitAsync());
        var error = (await tool.ReadAllErrorAsync()).Trim();
        Assert.StartsWith("dartio: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("serve", "--help", "dartio serve")]
    [InlineData("serve", "-h", "dartio serve")]
    [InlineData("echo", "--help", "dartio echo")]
    [InlineData("certs", "list", "--help", "dartio certs list")]
    public async Task Command_Help_PrintsItsUsageAndExitsZero(params string[] args)
    {
        var (exit, usage, error) = await DartioRun.RunAsync(args[..^1]);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  " + args[^1], usage, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("echo")]
    public async Task Command_EmptyAddress_ExitsTwo(string command)
    {
        await using var tool = DartioProcess.Start(command, "--address", "", "--port", "0");

        Assert.Equal(2, await tool.WaitForExitAsync());
        Assert.Contains("--address", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Dotfiles_ServesThemOnlyWhenAsked()
    {
        using var folder = new TemporaryDirectory();
        folder.Write(".env", "TOKEN=1");
        await using var hiding = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1");
        await using var showing = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1", "--dotfiles");
        var hidingUrl = (await hiding.ReadUrlAsync())!;
        var showingUrl = await showing.ReadUrlAsync();
        Assert.NotNull(showingUrl);

        var hidden = await HttpTesting.SendAsync(PortOf(hidingUrl), "GET /.env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var shown = await HttpTesting.SendAsync(PortOf(showingUrl), "GET /.env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal(404, hidden.Status);
        Assert.Equal((200, "TOKEN=1"), (shown.Status, shown.Text));
        Assert.Equal(0, await hiding.StopAsync());
        Assert.Equal(0, await showing.StopAsync());
    }

    [Fact]
    public async Task Serve_AbsoluteFormTarget_IsServedAndLoggedAsSent()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("file", "absolute");
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1");
        var port = PortOf((await tool.ReadUrlAsync())!);

        var response = await HttpTesting.SendAsync(port, $"GET http://127.0.0.1:{port}/file HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");

        Assert.Equal((200, "absolute"), (response.Status, response.Text));
        Assert.Equal(0, await tool.StopAsync());
        Assert.Contains($"\"GET http://127.0.0.1:{port}/file HTTP/1.1\" 200 8", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_PortTaken_ExitsOneWithTheNetworkError()
    {
        using var taken = new Socket(SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;
        using var folder = new TemporaryDirectory();
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture));

        Assert.Equal(1, await tool.WaitForExitAsync());
        Assert.Contains("Failed to create server socket", await tool.ReadAllErrorAsync(), StringComparison.Ordinal);
    }
}
