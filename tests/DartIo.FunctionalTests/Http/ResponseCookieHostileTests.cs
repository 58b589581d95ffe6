using System.Net;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// Response cookies carrying what an application took from a client without checking it: a value, path or domain with
/// <c>;</c>, CR or LF must never become attributes (or headers) of the <c>Set-Cookie</c> line, as Dart's
/// <c>Cookie</c> refuses them.
/// </summary>
public sealed class ResponseCookieHostileTests
{
    private const string CloseRequest = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    public static TheoryData<string, string?, string?> Injections => new()
    {
        { "x; Domain=evil.example; Max-Age=999999999", null, null },
        { "x\r\nSet-Cookie: admin=1", null, null },
        { "x,y", null, null },
        { "x y", null, null },
        { "x\"y", null, null },
        { "ok", "/; Domain=evil.example", null },
        { "ok", "/a\nb", null },
        { "ok", null, "example.com; SameSite=None" },
    };

    [Theory]
    [MemberData(nameof(Injections))]
    public async Task Write_CookieWithInjection_ThrowsAndNoSetCookieIsSent(string value, string? path, string? domain)
    {
        var failure = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.Listen(async request =>
        {
            var response = request.Response;
            var cookie = new Cookie("pref", "ok");
            cookie.Value = value; // System.Net.Cookie checks a value only inside a CookieContainer
            if (path is not null)
            {
                cookie.Path = path;
            }

            if (domain is not null)
            {
                cookie.Domain = domain;
            }

            response.Cookies.Add(cookie);
            try
            {
                response.Write("body");
                failure.TrySetResult(null);
            }
            catch (InvalidOperationException ex)
            {
                failure.TrySetResult(ex);
                response.Cookies.Clear(); // the response is still whole: the handler can answer without the cookie
                response.StatusCode = 400;
            }

            await response.CloseAsync();
        });

        var answer = await HttpTesting.SendAsync(server.Port, CloseRequest);

        var ex = await failure.Task.Within();
        Assert.NotNull(ex);
        Assert.Contains("pref", ex.Message, StringComparison.Ordinal); // names the cookie
        Assert.Equal(400, answer.Status);
        Assert.Empty(answer.All("Set-Cookie"));
    }

    [Fact]
    public async Task Write_QuotedValueAndEveryCookieOctet_AreSentAsSet()
    {
        // RFC 6265's cookie-octets (Dart's check), and a value in double quotes: nothing legal is refused.
        const string octets = "!#$%&'()*+-./0123456789:<=>?@ABCXYZ[]^_`abcxyz{|}~";
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.Listen(request =>
        {
            request.Response.Cookies.Add(new Cookie("a", octets) { Path = "/x y", Domain = "example.com" });
            request.Response.Cookies.Add(new Cookie("b", "\"quoted\""));
            request.Response.Cookies.Add(new Cookie("c", ""));
            return Task.CompletedTask;
        });

        var answer = await HttpTesting.SendAsync(server.Port, CloseRequest);

        Assert.Equal(200, answer.Status);
        Assert.Equal([$"a={octets}; Domain=example.com; Path=/x y", "b=\"quoted\"", "c="], answer.All("Set-Cookie"));
    }
}
