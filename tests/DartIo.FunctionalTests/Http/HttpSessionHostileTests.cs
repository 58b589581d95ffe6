using System.Net;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// Sessions under abuse: a hostile client's cookies, a careless application's cookie template and <c>OnTimeout</c>
/// callbacks, a session ending while its request runs. Expiry on a manual clock.
/// </summary>
public sealed class HttpSessionHostileTests
{
    private static async Task<(HttpServer Server, ManualTimeProvider Clock)> ServeAsync(Func<HttpRequest, Task> handler)
    {
        var clock = new ManualTimeProvider();
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.TimeProvider = clock;
        server.SessionTimeout = TimeSpan.FromSeconds(1);
        server.Listen(handler);
        return (server, clock);
    }

    private static Task<RawResponse> GetAsync(HttpServer server, string path = "/", string? cookie = null) =>
        HttpTesting.SendAsync(server.Port,
            $"GET {path} HTTP/1.1\r\nHost: x\r\n{(cookie is null ? "" : $"Cookie: {cookie}\r\n")}Connection: close\r\n\r\n");

    [Fact]
    public async Task Session_HandlerReusesOneCookieTemplate_TheTemplateIsNeverGivenAnId()
    {
        // A static template for the session cookie's attributes, added to every response: the server must not write a
        // browser's id into it, or concurrent responses would send one browser's session to another.
        var template = new Cookie("DARTSESSID", "") { SameSite = SameSite.Strict, MaxAge = 600 };
        var (server, _) = await ServeAsync(request =>
        {
            request.Response.Cookies.Add(template);
            request.Response.Write(request.Session.Id);
            return Task.CompletedTask;
        });
        await using var _server = server;

        var first = await GetAsync(server);
        var second = await GetAsync(server);

        Assert.Equal([$"DARTSESSID={first.Text}; Max-Age=600; Path=/; HttpOnly; SameSite=Strict"], first.All("Set-Cookie"));
        Assert.Equal([$"DARTSESSID={second.Text}; Max-Age=600; Path=/; HttpOnly; SameSite=Strict"], second.All("Set-Cookie"));
        Assert.NotEqual(first.Text, second.Text);
        Assert.Equal("", template.Value);
        Assert.Equal("", template.Path);
        Assert.False(template.HttpOnly);
    }

    [Fact]
    public async Task Session_CookieHeaderOfThousandsOfGarbageIds_ResumesTheLiveOneAfterThem()
    {
        var (server, _) = await ServeAsync(request =>
        {
            request.Response.Write(request.Session.Id);
            return Task.CompletedTask;
        });
        await using var _server = server;
        var id = (await GetAsync(server)).Text;

        var garbage = new StringBuilder();
        for (var i = 0; i < 1_500; i++) // about 16 KB, inside Kestrel's 32 KB of headers
        {
            garbage.Append(i % 3 == 0 ? "DARTSESSID=zz; " : i % 3 == 1 ? "dartsessid=\"%00\"; " : "DARTSESSID; ");
        }

        var resumed = await GetAsync(server, cookie: $"{garbage}DARTSESSID={id}");

        Assert.Equal(200, resumed.Status);
        Assert.Equal(id, resumed.Text);
        Assert.Equal([$"DARTSESSID={id}; Path=/; HttpOnly"], resumed.All("Set-Cookie"));
    }

    [Fact]
    public async Task Session_CookieHeaderOfThousandsOfPairsToAHandlerThatReadsNone_IsNotParsedIntoCookies()
    {
        // Finding the session must not turn a 30 KB Cookie header into thousands of System.Net.Cookie objects (about
        // 2 MB, and a clock read each) on every request while sessions live: only the handler that reads Cookies pays.
        var (server, _) = await ServeAsync(request =>
        {
            request.Response.Write(request.Session.Id);
            return Task.CompletedTask;
        });
        await using var _server = server;
        var id = (await GetAsync(server)).Text;
        var pairs = new StringBuilder();
        for (var i = 0; i < 6_000; i++) // about 30 KB, inside Kestrel's 32 KB of headers
        {
            pairs.Append("a=b; ");
        }

        var cookie = $"{pairs}DARTSESSID={id}";
        var resumed = await GetAsync(server, cookie: cookie);
        Assert.Equal(id, resumed.Text);

        // The lookup the request ran, measured on this thread alone (the process's total moves with the other tests).
        var sessions = server.Sessions;
        Assert.Equal(id, sessions.Resume(cookie)?.Id); // warm: the first run JITs the path
        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = sessions.Resume(cookie);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(id, found?.Id);
        Assert.InRange(allocated, 0, 1024); // parsing into Cookie objects allocated about 1.9 MB here
    }

    [Fact]
    public async Task OnTimeout_DestroysReadsAndRetimesFromInside_NoFailureAndTheServerGoesOn()
    {
        var ran = new TaskCompletionSource<(bool Destroyed, int Count, object? Value)>(TaskCreationOptions.RunContinuationsAsynchronously);
        HttpServer? served = null;
        var (server, clock) = await ServeAsync(request =>
        {
            var session = request.Session;
            session["v"] = 1;
            session.OnTimeout = () =>
            {
                session.Destroy(); // ended already: nothing
                session["v"] = 2; // a dead session's values stay usable for whoever holds it
                served!.SessionTimeout = TimeSpan.FromSeconds(2); // takes the store's lock: OnTimeout must run outside it
                ran.TrySetResult((true, session.Count, session["v"]));
            };
            return Task.CompletedTask;
        });
        served = server;
        await using var _server = server;

        await GetAsync(server);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal((true, 1, (object?)2), await ran.Task.Within());
        Assert.Equal(200, (await GetAsync(server)).Status);
    }

    [Fact]
    public async Task OnTimeout_Blocks_RequestsAndLaterExpiriesGoOn()
    {
        using var release = new ManualResetEventSlim();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var laterEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(request =>
        {
            var session = request.Session;
            if (request.QueryParameters.ContainsKey("block"))
            {
                session.OnTimeout = () =>
                {
                    blocked.TrySetResult();
                    release.Wait(HttpTesting.Timeout); // an application's blocking callback
                };
            }
            else
            {
                session.OnTimeout = () => laterEnded.TrySetResult();
            }

            request.Response.Write(session.Id);
            return Task.CompletedTask;
        });
        await using var _server = server;

        await GetAsync(server, "/?block");
        var firing = Task.Run(() => clock.Advance(TimeSpan.FromSeconds(1))); // the timer's thread, held by the callback
        await blocked.Task.Within();

        var later = await GetAsync(server); // the store is not locked while a callback runs
        Assert.Equal(200, later.Status);
        Assert.Equal(later.Text, (await GetAsync(server, cookie: $"DARTSESSID={later.Text}")).Text);
        clock.Advance(TimeSpan.FromSeconds(1));
        await laterEnded.Task.Within();

        release.Set();
        await firing.Within();
    }

    [Fact]
    public async Task Session_EndsWhileItsRequestRuns_TheResponseSendsOnlyALiveId()
    {
        var holding = new TaskCompletionSource<HttpSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(async request =>
        {
            if (!request.QueryParameters.ContainsKey("hold"))
            {
                request.Response.Write(request.Session.Id);
                return;
            }

            holding.TrySetResult(request.Session);
            await resume.Task;
            var now = request.Session; // the one it held has timed out meanwhile: a new one
            request.Response.Write(now.Id);
        });
        await using var _server = server;
        var id = (await GetAsync(server)).Text;

        var answer = GetAsync(server, "/?hold", $"DARTSESSID={id}");
        var held = await holding.Task.Within();
        Assert.Equal(id, held.Id);
        clock.Advance(TimeSpan.FromSeconds(1));
        resume.TrySetResult();
        var response = await answer.Within();

        Assert.NotEqual(id, response.Text);
        Assert.Equal([$"DARTSESSID={response.Text}; Path=/; HttpOnly"], response.All("Set-Cookie"));
        Assert.NotEqual(id, (await GetAsync(server, cookie: $"DARTSESSID={id}")).Text);
    }

    [Fact]
    public async Task Session_FloodOfNewClients_AllEndTogetherOnOneTimer()
    {
        var ended = 0;
        var allEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Clients = 300;
        var (server, clock) = await ServeAsync(request =>
        {
            request.Session.OnTimeout = () =>
            {
                if (Interlocked.Increment(ref ended) == Clients)
                {
                    allEnded.TrySetResult();
                }
            };
            return Task.CompletedTask;
        });
        await using var _server = server;

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        for (var i = 0; i < Clients; i++)
        {
            await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        clock.Advance(TimeSpan.FromSeconds(1));

        await allEnded.Task.Within();
        Assert.Equal(Clients, ended);
    }

    [Fact]
    public async Task Session_UsedAgainAfterAForcedClose_EveryUseGivesTheSameSession()
    {
        // A handler that runs on after a forced close (it awaits something of its own) and uses request.Session more
        // than once: it must see one session, not a new empty one at each use.
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource<(bool Same, int Count, bool Made)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, _) = await ServeAsync(async request =>
        {
            request.Session["before"] = 1;
            holding.TrySetResult();
            await resume.Task;
            var held = request.Session;
            held["after"] = 2;
            var fresh = new HttpSession[2];
            fresh[0] = request.Session;
            fresh[1] = request.Session;
            seen.TrySetResult((ReferenceEquals(held, fresh[0]) && ReferenceEquals(held, fresh[1]), fresh[1].Count, fresh[0].ContainsKey("before")));
        });

        var answer = GetAsync(server);
        await holding.Task.Within();
        await server.CloseAsync(force: true).Within();
        await server.Done.Within();
        resume.TrySetResult();

        Assert.Equal((true, 2, true), await seen.Task.Within());
        await Assert.ThrowsAnyAsync<Exception>(() => answer); // the forced close cut the request
    }

    [Fact]
    public async Task SessionTimeout_LengthenedWhileASessionLives_ItLivesTheLongerTime()
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, clock) = await ServeAsync(request =>
        {
            request.Session.OnTimeout = () => ended.TrySetResult();
            return Task.CompletedTask;
        });
        await using var _server = server;
        await GetAsync(server);

        clock.Advance(TimeSpan.FromMilliseconds(500));
        server.SessionTimeout = TimeSpan.FromSeconds(10); // the timer was set for 1 s: it must be set again, later
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(ended.Task.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(8.5));
        await ended.Task.Within();
    }
}
