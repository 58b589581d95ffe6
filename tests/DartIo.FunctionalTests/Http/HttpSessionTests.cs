using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// <c>HttpRequest.Session</c> and <c>HttpSession</c> (Dart's session semantics) over real HTTP, with a cookie jar or raw
/// <c>Cookie</c> headers, and expiry on a manual clock.
/// </summary>
public sealed partial class HttpSessionTests
{
    /// <summary>The server's answer to <see cref="CountingHandler"/>: the session's id, whether it was new, and the count before this request.</summary>
    private sealed record Seen(string Id, bool IsNew, int Count);

    /// <summary>Counts the requests of a session in the session itself, and answers with what it saw.</summary>
    private static Task CountingHandler(HttpRequest request)
    {
        var session = request.Session;
        var isNew = session.IsNew;
        var count = session.TryGetValue("count", out var value) ? (int)value! : 0;
        session["count"] = count + 1;
        request.Response.Write($"{session.Id} {isNew} {count}");
        return Task.CompletedTask;
    }

    private static Seen Parse(string text)
    {
        var parts = text.Split(' ');
        return new Seen(parts[0], bool.Parse(parts[1]), int.Parse(parts[2]));
    }

    private static async Task<(HttpServer Server, ManualTimeProvider Clock)> ServeAsync(Func<HttpRequest, Task> handler, TimeSpan? timeout = null)
    {
        var clock = new ManualTimeProvider();
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.TimeProvider = clock;
        if (timeout is { } value)
        {
            server.SessionTimeout = value;
        }

        server.Listen(handler);
        return (server, clock);
    }

    private static async Task<(RawResponse Response, Seen Seen)> SendAsync(HttpServer server, string? cookie = null)
    {
        var headers = cookie is null ? "" : $"Cookie: {cookie}\r\n";
        var response = await HttpTesting.SendAsync(server.Port, $"GET / HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
        Assert.Equal(200, response.Status);
        return (response, Parse(response.Text));
    }

    [GeneratedRegex("^DARTSESSID=([0-9a-f]{32}); Path=/; HttpOnly$")]
    private static partial Regex SessionCookie();

    [Fact]
    public async Task Session_WithACookieJar_SurvivesRequestsAndIsNewOnlyAtFirst()
    {
        var (server, _) = await ServeAsync(CountingHandler);
        await using var _server = server;
        using var client = HttpTesting.Client(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() });

        var seen = new List<Seen>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add(Parse(await client.GetStringAsync(HttpTesting.Url(server)).Within()));
        }

        Assert.Equal(new Seen(seen[0].Id, true, 0), seen[0]);
        Assert.Equal(new Seen(seen[0].Id, false, 1), seen[1]);
        Assert.Equal(new Seen(seen[0].Id, false, 2), seen[2]);
        Assert.Matches("^[0-9a-f]{32}$", seen[0].Id);
    }

    [Fact]
    public async Task Session_FirstUse_SendsDartsCookieAndARequestWithItSendsItAgain()
    {
        var (server, _) = await ServeAsync(CountingHandler);
        await using var _server = server;

        var (first, seen) = await SendAsync(server);
        var cookie = Assert.Single(first.All("Set-Cookie"));
        Assert.Equal(seen.Id, SessionCookie().Match(cookie).Groups[1].Value);

        var (second, again) = await SendAsync(server, $"DARTSESSID={seen.Id}");
        Assert.Equal(new Seen(seen.Id, false, 1), again);
        Assert.Equal([cookie], second.All("Set-Cookie")); // as Dart: every response of a request with a session carries it
    }

    [Fact]
    public async Task Session_NotUsed_IsNotMadeAndNoCookieIsSent()
    {
        var (server, _) = await ServeAsync(request =>
        {
            request.Response.Write("no session");
            return Task.CompletedTask;
        });
        await using var _server = server;

        var response = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Empty(response.All("Set-Cookie"));
        Assert.Null(server.SessionsIfAny);
    }

    [Fact]
    public async Task Session_NoRequestForTheTimeout_EndsAndRunsOnTimeout()
    {
        var timedOut = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(request =>
        {
            var session = request.Session;
            session.OnTimeout = () => timedOut.TrySetResult(session.Id);
            return CountingHandler(request);
        }, TimeSpan.FromSeconds(1));
        await using var _server = server;

        var (_, first) = await SendAsync(server);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        var (_, second) = await SendAsync(server, $"DARTSESSID={first.Id}"); // seen again: 1 s from now
        Assert.Equal(new Seen(first.Id, false, 1), second);

        clock.Advance(TimeSpan.FromMilliseconds(999)); // past the first request's second, not the second's
        Assert.False(timedOut.Task.IsCompleted);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(first.Id, await timedOut.Task.Within());

        var (_, third) = await SendAsync(server, $"DARTSESSID={first.Id}");
        Assert.NotEqual(first.Id, third.Id);
        Assert.Equal(new Seen(third.Id, true, 0), third);
    }

    [Fact]
    public async Task Session_ManySessionsOneTimeout_EachEndsAtItsOwnTime()
    {
        var ended = new ConcurrentQueue<string>();
        var (server, clock) = await ServeAsync(request =>
        {
            var session = request.Session;
            session.OnTimeout = () => ended.Enqueue(session.Id);
            return CountingHandler(request);
        }, TimeSpan.FromSeconds(1));
        await using var _server = server;

        var (_, a) = await SendAsync(server);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var (_, b) = await SendAsync(server);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal([a.Id], ended);
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal([a.Id], ended);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([a.Id, b.Id], ended);
    }

    [Fact]
    public async Task SessionTimeout_Shortened_AppliesToLiveSessions()
    {
        var timedOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(request =>
        {
            request.Session.OnTimeout = () => timedOut.TrySetResult();
            return CountingHandler(request);
        });
        await using var _server = server;
        Assert.Equal(TimeSpan.FromMinutes(20), server.SessionTimeout);

        await SendAsync(server);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(timedOut.Task.IsCompleted);
        server.SessionTimeout = TimeSpan.FromSeconds(1); // already 2 s old: due now, as Dart restarts its timer
        clock.Advance(TimeSpan.Zero); // the manual clock runs a timer due now at its next move

        await timedOut.Task.Within();
    }

    [Fact]
    public async Task SessionTimeout_ZeroOrNegative_Throws()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();

        Assert.Throws<ArgumentOutOfRangeException>(() => server.SessionTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.SessionTimeout = Timeout.InfiniteTimeSpan);
        Assert.Equal(TimeSpan.FromMinutes(20), server.SessionTimeout);
        server.SessionTimeout = TimeSpan.MaxValue; // longer than any timer: set in steps
        Assert.Equal(TimeSpan.MaxValue, server.SessionTimeout);
    }

    [Fact]
    public async Task Destroy_ThenSessionAgain_GivesANewSessionAndTheOldNeverTimesOut()
    {
        var oldTimedOut = false;
        var newTimedOut = new TaskCompletionSource<(string Old, string New)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(request =>
        {
            if (request.QueryParameters.ContainsKey("destroy"))
            {
                var old = request.Session;
                old.OnTimeout = () => oldTimedOut = true;
                old.Destroy();
                old.Destroy(); // a second time does nothing
                var replacement = request.Session;
                replacement.OnTimeout = () => newTimedOut.TrySetResult((old.Id, replacement.Id));
                request.Response.Write($"{replacement.Id} {replacement.IsNew} {old.Count}");
                return Task.CompletedTask;
            }

            return CountingHandler(request);
        }, TimeSpan.FromSeconds(1));
        await using var _server = server;

        var (_, first) = await SendAsync(server);
        var destroyed = await HttpTesting.SendAsync(server.Port,
            $"GET /?destroy HTTP/1.1\r\nHost: x\r\nCookie: DARTSESSID={first.Id}\r\nConnection: close\r\n\r\n");
        var replacement = Parse(destroyed.Text);
        Assert.NotEqual(first.Id, replacement.Id);
        Assert.True(replacement.IsNew);
        Assert.Equal(1, replacement.Count); // the destroyed session kept its values for whoever still holds it
        Assert.Equal([$"DARTSESSID={replacement.Id}; Path=/; HttpOnly"], destroyed.All("Set-Cookie"));

        var (_, withOldCookie) = await SendAsync(server, $"DARTSESSID={first.Id}");
        Assert.True(withOldCookie.IsNew);
        Assert.NotEqual(first.Id, withOldCookie.Id);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((first.Id, replacement.Id), await newTimedOut.Task.Within());
        Assert.False(oldTimedOut);
    }

    [Theory]
    [InlineData("DARTSESSID=00000000000000000000000000000000")]
    [InlineData("DARTSESSID=")]
    [InlineData("DARTSESSID=\"\"; DARTSESSID; =x; ;;")]
    [InlineData("DARTSESSID=../../etc/passwd%00")]
    [InlineData("other=1; DARTSESSID=ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ")]
    public async Task Session_ForgedOrGarbageCookie_GivesANewSession(string cookie)
    {
        var (server, _) = await ServeAsync(CountingHandler);
        await using var _server = server;
        await SendAsync(server); // a live session, so the lookup runs

        var (response, seen) = await SendAsync(server, cookie);

        Assert.Equal(new Seen(seen.Id, true, 0), seen);
        Assert.Equal([$"DARTSESSID={seen.Id}; Path=/; HttpOnly"], response.All("Set-Cookie"));
    }

    [Fact]
    public async Task Session_LongGarbageCookie_GivesANewSession()
    {
        var (server, _) = await ServeAsync(CountingHandler);
        await using var _server = server;
        await SendAsync(server);

        var (_, seen) = await SendAsync(server, "DARTSESSID=" + new string('a', 8000));

        Assert.True(seen.IsNew);
    }

    [Fact]
    public async Task Session_DuplicatedCookie_TheFirstThatNamesALiveSessionWins()
    {
        var (server, _) = await ServeAsync(CountingHandler);
        await using var _server = server;
        var (_, live) = await SendAsync(server);
        var (_, other) = await SendAsync(server);

        var (_, forgedFirst) = await SendAsync(server, $"DARTSESSID=0123456789abcdef0123456789abcdef; DARTSESSID={live.Id}");
        Assert.Equal(new Seen(live.Id, false, 1), forgedFirst);

        var (response, twoLive) = await SendAsync(server, $"dartsessid={other.Id}; DARTSESSID={live.Id}"); // Dart matches the name without case
        Assert.Equal(new Seen(other.Id, false, 1), twoLive);
        Assert.Single(response.All("Set-Cookie"));

        var twoHeaders = await HttpTesting.SendAsync(server.Port,
            $"GET / HTTP/1.1\r\nHost: x\r\nCookie: DARTSESSID=nothing\r\nCookie: DARTSESSID={live.Id}\r\nConnection: close\r\n\r\n");
        Assert.Equal(new Seen(live.Id, false, 2), Parse(twoHeaders.Text));
    }

    [Fact]
    public async Task Session_HandlerSetsItsOwnSessionCookie_OnlyTheCurrentIdIsSent()
    {
        var (server, _) = await ServeAsync(request =>
        {
            request.Response.Cookies.Add(new Cookie("DARTSESSID", "mine") { SameSite = SameSite.Strict });
            request.Response.Cookies.Add(new Cookie("other", "1"));
            return CountingHandler(request);
        });
        await using var _server = server;

        var (response, seen) = await SendAsync(server);

        Assert.Equal([$"DARTSESSID={seen.Id}; Path=/; HttpOnly; SameSite=Strict", "other=1"], response.All("Set-Cookie"));
    }

    [Fact]
    public async Task Session_ConcurrentRequests_OfOneSessionAllLand()
    {
        const int Requests = 64;
        var (server, _) = await ServeAsync(request =>
        {
            var session = request.Session;
            if (request.QueryParameters.TryGetValue("n", out var n))
            {
                session[n] = true;
                _ = session.Count;
                foreach (var pair in session)
                {
                    Assert.NotNull(pair.Key); // enumerating a copy while others write
                }
            }

            request.Response.Write($"{session.Id} {session.IsNew} {session.Count}");
            return Task.CompletedTask;
        });
        await using var _server = server;
        var (_, created) = await SendAsync(server);

        var answers = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => HttpTesting.SendAsync(server.Port,
            $"GET /?n={i} HTTP/1.1\r\nHost: x\r\nCookie: DARTSESSID={created.Id}\r\nConnection: close\r\n\r\n"))).Within();

        Assert.All(answers, answer => Assert.Equal(created.Id, Parse(answer.Text).Id));
        var (_, after) = await SendAsync(server, $"DARTSESSID={created.Id}");
        Assert.Equal(Requests, after.Count);
    }

    [Fact]
    public async Task Session_ConcurrentNewClients_EachGetsItsOwnSession()
    {
        const int Clients = 64;
        var (server, clock) = await ServeAsync(CountingHandler, TimeSpan.FromSeconds(1));
        await using var _server = server;

        var answers = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => SendAsync(server))).Within();

        Assert.Equal(Clients, answers.Select(a => a.Seen.Id).Distinct().Count());
        Assert.All(answers, a => Assert.True(a.Seen.IsNew));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(server.SessionsIfAny!.IsEmpty); // all timed out by the one timer
    }

    [Fact]
    public async Task CloseAsync_LiveSessions_EndWithoutOnTimeout()
    {
        var timedOut = false;
        var (server, clock) = await ServeAsync(request =>
        {
            request.Session.OnTimeout = () => timedOut = true;
            return CountingHandler(request);
        }, TimeSpan.FromSeconds(1));

        await SendAsync(server);
        await server.CloseAsync().Within();
        await server.Done.Within();
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.False(timedOut);
        Assert.True(server.SessionsIfAny!.IsEmpty);
    }

    [Fact]
    public async Task Session_OverHttpsAndHttp2_IsKeptAndItsCookieIsSecure()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(CountingHandler);
        using var client = HttpServerSecureTests.SecureClient();
        var url = $"https://127.0.0.1:{server.Port}/";

        async Task<(Seen Seen, string[] Cookies)> GetAsync(string? cookie)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, url)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (cookie is not null)
            {
                message.Headers.Add("Cookie", cookie);
            }

            using var response = await client.SendAsync(message).Within();
            Assert.Equal(HttpVersion.Version20, response.Version);
            var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToArray() : [];
            return (Parse(await response.Content.ReadAsStringAsync()), cookies);
        }

        var (first, firstCookies) = await GetAsync(null);
        Assert.Equal([$"DARTSESSID={first.Id}; Path=/; Secure; HttpOnly"], firstCookies);
        var (second, _) = await GetAsync($"DARTSESSID={first.Id}");
        Assert.Equal(new Seen(first.Id, false, 1), second);
    }

    private static readonly AsyncLocal<string?> s_requestContext = new();

    [Fact]
    public async Task Session_OnTheSystemClock_TimesOutWithoutTheRequestsContext()
    {
        // The real timer, once: the one timer lives as long as the server, so it must not capture (and keep) the
        // execution context of the request that happened to make it.
        var timedOut = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.SessionTimeout = TimeSpan.FromMilliseconds(100);
        server.Listen(request =>
        {
            s_requestContext.Value = "request";
            request.Session.OnTimeout = () => timedOut.TrySetResult(s_requestContext.Value);
            return Task.CompletedTask;
        });

        await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Null(await timedOut.Task.Within());
    }

    [Fact]
    public async Task Session_AsADictionary_KeepsTheIDictionaryContractAndHidesItsId()
    {
        var checkedIn = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, _) = await ServeAsync(async request =>
        {
            var failure = await Record.ExceptionAsync(async () =>
            {
                var session = request.Session;
                Assert.Empty(session);
                Assert.Throws<KeyNotFoundException>(() => session["missing"]); // Dart's map gives null: TryGetValue does
                Assert.False(session.TryGetValue("missing", out _));
                session.Add("a", 1);
                Assert.Throws<ArgumentException>(() => session.Add("a", 2));
                session["b"] = null;
                Assert.True(session.ContainsKey("b"));
                Assert.Contains(new KeyValuePair<string, object?>("a", 1), session);
                var keys = session.Keys;
                foreach (var pair in session)
                {
                    session.Remove(pair.Key); // enumerating a copy: changing the session meanwhile is allowed
                }

                Assert.Equal(["a", "b"], keys.Order()); // a copy too
                Assert.Empty(session);
                Assert.DoesNotContain(session.Id, session.ToString(), StringComparison.Ordinal);

                Assert.True(session.IsNew);
                await request.Response.FlushAsync(); // the headers, and the cookie, go out
                Assert.False(session.IsNew); // as Dart: no longer new once the browser has been given its cookie
            });
            checkedIn.TrySetResult(failure);
        });
        await using var _server = server;

        await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.Null(await checkedIn.Task.Within());
    }
}
