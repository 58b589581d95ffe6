using System.Net;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// <c>SameSite</c> and <c>Max-Age</c> on response cookies (Dart's <c>Cookie.sameSite</c>, <c>maxAge</c>), read from the
/// raw <c>Set-Cookie</c> header.
/// </summary>
public sealed class ResponseCookieTests
{
    private const string CloseRequest = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private static async Task<HttpServer> ServeAsync(Action<HttpResponse> handler)
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.Listen(request =>
        {
            handler(request.Response);
            return Task.CompletedTask;
        });
        return server;
    }

    [Fact]
    public async Task Cookies_SameSiteAndMaxAge_AreWrittenInDartsOrder()
    {
        await using var server = await ServeAsync(response =>
        {
            response.Cookies.Add(new Cookie("id", "42")
            {
                Path = "/app",
                Domain = "example.com",
                Secure = true,
                HttpOnly = true,
                Expires = new DateTime(2031, 2, 3, 4, 5, 6, DateTimeKind.Utc),
                SameSite = SameSite.Strict,
                MaxAge = 3600,
            });
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(
            ["id=42; Expires=Mon, 03 Feb 2031 04:05:06 GMT; Max-Age=3600; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict"],
            response.All("Set-Cookie"));
    }

    [Fact]
    public async Task Cookies_EachSameSiteValue_IsWrittenWithDartsName()
    {
        await using var server = await ServeAsync(response =>
        {
            response.Cookies.Add(new Cookie("a", "1") { SameSite = SameSite.Lax });
            response.Cookies.Add(new Cookie("b", "2") { SameSite = SameSite.None, Secure = true });
            response.Cookies.Add(new Cookie("c", "3") { SameSite = SameSite.Strict });
            response.Cookies.Add(new Cookie("d", "4"));
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(["a=1; SameSite=Lax", "b=2; Secure; SameSite=None", "c=3; SameSite=Strict", "d=4"], response.All("Set-Cookie"));
    }

    [Fact]
    public async Task Cookies_MaxAgeZeroOrNegative_IsWrittenAsSet()
    {
        // Dart writes any maxAge; a browser deletes the cookie for 0 or less (RFC 6265 §5.2.2).
        await using var server = await ServeAsync(response =>
        {
            response.Cookies.Add(new Cookie("gone", "") { MaxAge = 0 });
            response.Cookies.Add(new Cookie("old", "x") { SameSite = null, MaxAge = -1 });
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(["gone=; Max-Age=0", "old=x; Max-Age=-1"], response.All("Set-Cookie"));
    }

    [Fact]
    public async Task Cookies_AttributeSetAfterAdding_IsWrittenAndNullRemovesIt()
    {
        await using var server = await ServeAsync(response =>
        {
            var cookie = new Cookie("late", "1") { SameSite = SameSite.Lax, MaxAge = 5 };
            response.Cookies.Add(cookie);
            cookie.SameSite = null;
            cookie.MaxAge = 60;
        });

        var response = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(["late=1; Max-Age=60"], response.All("Set-Cookie"));
    }

    [Fact]
    public void SameSite_UndefinedValue_Throws()
    {
        var cookie = new Cookie("x", "1");

        Assert.Throws<ArgumentOutOfRangeException>(() => cookie.SameSite = (SameSite)7);
        Assert.Null(cookie.SameSite);
        Assert.Null(cookie.MaxAge);
    }

    [Fact]
    public async Task Cookies_OnAWebSocketUpgrade_AreSentWithThe101()
    {
        var upgraded = new TaskCompletionSource<System.Net.WebSockets.WebSocket>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.Listen(async request =>
        {
            request.Response.Cookies.Add(new Cookie("ws", "1") { HttpOnly = true, SameSite = SameSite.Strict });
            var socket = await WebSocketTransformer.UpgradeAsync(request);
            upgraded.TrySetResult(socket);
        });

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(101, response.Status);
        Assert.Equal(["ws=1; HttpOnly; SameSite=Strict"], response.All("Set-Cookie"));
        (await upgraded.Task.Within()).Abort();
    }
}
