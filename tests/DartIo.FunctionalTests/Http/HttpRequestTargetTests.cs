namespace DartIo.FunctionalTests.Http;

/// <summary><see cref="HttpRequest.Path"/> and the query parameters for each form of request target, through Kestrel.</summary>
public sealed class HttpRequestTargetTests
{
    private static async Task<string> PathAndQueryAsync(Func<int, string> requestLine)
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(request =>
        {
            var all = request.QueryParametersAll.Select(p => $"{p.Key}={string.Join(',', p.Value)}");
            var last = request.QueryParameters.Select(p => $"{p.Key}={p.Value}");
            request.Response.Write($"{request.Path}|{string.Join('&', all)}|{string.Join('&', last)}");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, $"{requestLine(server.Port)} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, response.Status);
        return response.Text;
    }

    [Fact]
    public async Task Path_OriginForm_IsDecodedWithItsQuery()
    {
        Assert.Equal("/a b/c|x=1 2,3&y=|x=3&y=", await PathAndQueryAsync(_ => "GET /a%20b/c?x=1+2&x=3&y"));
    }

    [Fact]
    public async Task Path_AbsoluteForm_IsThePathOfTheAbsoluteUri()
    {
        Assert.Equal("/file|q=%|q=%", await PathAndQueryAsync(port => $"GET http://127.0.0.1:{port}/file?q=%25"));
    }

    [Theory]
    [InlineData("Host: 127.0.0.1\r\n")] // no port
    [InlineData("Host: elsewhere.example\r\n")]
    public async Task Path_AbsoluteFormWithAnotherHost_IsServedForTheTargetsHost(string host)
    {
        // RFC 9112 §3.2.2: with an absolute-form target, the server ignores Host and uses the target's authority (a
        // request with no Host at all is still 400, as §3.2 requires of HTTP/1.1).
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(request =>
        {
            request.Response.Write($"{request.Path}|{request.RequestedUri.Authority}");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, $"GET http://127.0.0.1:{server.Port}/file HTTP/1.1\r\n{host}Connection: close\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal($"/file|127.0.0.1:{server.Port}", response.Text);
    }

    [Fact]
    public async Task Path_AsteriskForm_IsAnAsterisk()
    {
        Assert.Equal("*||", await PathAndQueryAsync(_ => "OPTIONS *"));
    }

    [Fact]
    public async Task Uri_RelativeTarget_KeepsTheTargetAsSent()
    {
        // The documented trap: a relative System.Uri has no AbsolutePath. Path is the way.
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(request =>
        {
            request.Response.Write($"{request.Uri.IsAbsoluteUri}|{request.Uri.OriginalString}|{request.Path}");
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET /x%2Fy?z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Equal("False|/x%2Fy?z|/x/y", response.Text);
    }

    [Fact]
    public async Task RequestedUri_ForwardedProtoThatIsNoScheme_FallsBackToTheConnectionsScheme()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.Listen(request =>
        {
            request.Response.Write(request.RequestedUri.Scheme);
            return Task.CompletedTask;
        });

        var response = await HttpTesting.SendAsync(server.Port, "GET /x HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: no scheme\r\nConnection: close\r\n\r\n");

        Assert.Equal((200, "http"), (response.Status, response.Text));
    }
}
