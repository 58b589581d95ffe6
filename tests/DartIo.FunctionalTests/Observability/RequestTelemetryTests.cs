using System.Diagnostics;
using System.Net;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Observability;

/// <summary>
/// What ASP.NET's hosting layer would give an HTTP server, from DartIo's own dispatch (docs/observability.md):
/// <c>http.server.request.duration</c> and <c>http.server.active_requests</c> on the meter <c>DartIo.Http</c>, and the
/// request Activity <c>DartIo.Http.HttpRequestIn</c> of the ActivitySource <c>DartIo.Http</c>.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class RequestTelemetryTests
{
    private const string Duration = "http.server.request.duration";
    private const string ActiveRequests = "http.server.active_requests";
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public async Task Request_Answered_DurationRecordedWithTheSemanticConventionAttributes()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        server.Listen(request =>
        {
            request.Response.StatusCode = 201;
            request.Response.Write("made");
            return Task.CompletedTask;
        });

        using var client = Client();
        using var response = await client.PostAsync(HttpTesting.Url(server, "/things?id=1"), new StringContent("x")).Within();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await metrics.WhenAsync(m => m.Of(Duration).Count == 1);
        var measurement = Assert.Single(metrics.Of(Duration));
        Assert.Equal("POST", measurement["http.request.method"]);
        Assert.Equal("http", measurement["url.scheme"]);
        Assert.Equal(201, measurement["http.response.status_code"]);
        Assert.Equal("http", measurement["network.protocol.name"]);
        Assert.Equal("1.1", measurement["network.protocol.version"]);
        Assert.Equal("127.0.0.1", measurement["server.address"]);
        Assert.False(measurement.Tags.ContainsKey("error.type"));
        Assert.False(measurement.Tags.ContainsKey("http.route")); // DartIo has no routing: no route to name
        Assert.InRange(measurement.Value, 0, Wait.Long.TotalSeconds);
    }

    [Fact]
    public async Task Request_InFlight_ActiveRequestsUpUntilTheResponseCompletes()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            entered.TrySetResult();
            await release.Task;
            request.Response.Write("done");
        });

        using var client = Client();
        var answering = client.GetStringAsync(HttpTesting.Url(server));
        await entered.Task.Within();

        Assert.Equal(1, metrics.Sum(ActiveRequests, ("http.request.method", "GET"), ("url.scheme", "http")));
        Assert.Empty(metrics.Of(Duration));

        release.SetResult();
        Assert.Equal("done", await answering.Within());
        await metrics.WhenSumAsync(ActiveRequests, 0);
        Assert.Equal([1.0, -1.0], metrics.Of(ActiveRequests).Select(m => m.Value));
        await metrics.WhenAsync(m => m.Of(Duration).Count == 1);
    }

    [Fact]
    public async Task Request_WithTraceparent_ActivityContinuesTheTraceAndIsCurrentInTheHandler()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        Activity? inHandler = null;
        server.Listen(request =>
        {
            inHandler = Activity.Current;
            request.Response.Write("traced");
            return Task.CompletedTask;
        });

        using var client = Client();
        using var message = new HttpRequestMessage(HttpMethod.Get, HttpTesting.Url(server, "/a/b?q=1"));
        message.Headers.Add("traceparent", TraceParent);
        message.Headers.Add("tracestate", "vendor=value");
        message.Headers.Add("baggage", "tenant=blue");
        message.Headers.UserAgent.ParseAdd("tests/1.0");
        using (var response = await client.SendAsync(message).Within())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await activities.WhenStoppedAsync();
        var activity = Assert.Single(activities.Stopped);
        Assert.Same(activity, inHandler);
        Assert.Equal("DartIo.Http.HttpRequestIn", activity.OperationName);
        Assert.Equal("GET", activity.DisplayName);
        Assert.Equal(ActivityKind.Server, activity.Kind);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", activity.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", activity.ParentSpanId.ToHexString());
        Assert.True(activity.HasRemoteParent);
        Assert.Equal("vendor=value", activity.TraceStateString);
        Assert.Equal("blue", activity.GetBaggageItem("tenant"));
        Assert.Equal("GET", activity.GetTagItem("http.request.method"));
        Assert.Equal("http", activity.GetTagItem("url.scheme"));
        Assert.Equal("/a/b", activity.GetTagItem("url.path"));
        Assert.Equal("1.1", activity.GetTagItem("network.protocol.version"));
        Assert.Equal("127.0.0.1", activity.GetTagItem("server.address"));
        Assert.Equal("127.0.0.1", activity.GetTagItem("client.address"));
        Assert.Equal("tests/1.0", activity.GetTagItem("user_agent.original"));
        Assert.Equal(200, activity.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
        Assert.NotEqual(TimeSpan.Zero, activity.Duration);
    }

    [Fact]
    public async Task Request_WithoutTraceparent_ActivityIsARootEvenWhenTheServerWasBoundInsideAnActivity()
    {
        using var ambient = new Activity("test.bind").Start(); // the server's accepting starts inside it
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        Activity? parentInHandler = null;
        server.Listen(request =>
        {
            parentInHandler = Activity.Current?.Parent;
            request.Response.Write("root");
            return Task.CompletedTask;
        });
        ambient.Stop();
        Activity.Current = null;

        using var client = Client();
        Assert.Equal("root", await client.GetStringAsync(HttpTesting.Url(server)).Within());

        await activities.WhenStoppedAsync();
        var activity = Assert.Single(activities.Stopped);
        Assert.Null(activity.Parent);
        Assert.Null(parentInHandler);
        Assert.Equal(default, activity.ParentSpanId);
        Assert.False(activity.HasRemoteParent);
        Assert.NotEqual(ambient.TraceId, activity.TraceId);
    }

    [Fact]
    public async Task Request_TraceparentSentTwice_StartsANewTrace()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(_ => Task.CompletedTask);

        var raw = await HttpTesting.SendAsync(server.Port,
            $"GET / HTTP/1.1\r\nHost: x\r\ntraceparent: {TraceParent}\r\ntraceparent: 00-11111111111111111111111111111111-2222222222222222-01\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, raw.Status);

        await activities.WhenStoppedAsync();
        var activity = Assert.Single(activities.Stopped);
        Assert.False(activity.HasRemoteParent);
        Assert.NotEqual("0af7651916cd43dd8448eb211c80319c", activity.TraceId.ToHexString());
        Assert.NotEqual("11111111111111111111111111111111", activity.TraceId.ToHexString());
    }

    [Fact]
    public async Task Request_HandlerThrows_500WithTheExceptionAsErrorTypeAndAnErrorActivity()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(_ => throw new InvalidOperationException("the handler's bug"));

        using var client = Client();
        using var response = await client.GetAsync(HttpTesting.Url(server)).Within();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        await activities.WhenStoppedAsync();
        await metrics.WhenAsync(m => m.Of(Duration).Count == 1);
        var measurement = Assert.Single(metrics.Of(Duration));
        Assert.Equal(500, measurement["http.response.status_code"]);
        Assert.Equal("System.InvalidOperationException", measurement["error.type"]);
        var activity = Assert.Single(activities.Stopped);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal("the handler's bug", activity.StatusDescription);
        Assert.Equal("System.InvalidOperationException", activity.GetTagItem("error.type"));
        Assert.Equal(500, activity.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task Request_HandlerAnswers503_TheStatusIsTheErrorType()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(request =>
        {
            request.Response.StatusCode = 503;
            return Task.CompletedTask;
        });

        using var client = Client();
        using var response = await client.GetAsync(HttpTesting.Url(server)).Within();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        await activities.WhenStoppedAsync();
        await metrics.WhenAsync(m => m.Of(Duration).Count == 1);
        Assert.Equal("503", Assert.Single(metrics.Of(Duration))["error.type"]);
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(activities.Stopped).Status);
    }

    [Fact]
    public async Task Request_UnknownMethod_RecordedAsOther()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(_ => Task.CompletedTask);

        using var client = Client();
        using var message = new HttpRequestMessage(new HttpMethod("BREW"), HttpTesting.Url(server));
        using var response = await client.SendAsync(message).Within();

        await activities.WhenStoppedAsync();
        await metrics.WhenAsync(m => m.Of(Duration).Count == 1);
        Assert.Equal("_OTHER", Assert.Single(metrics.Of(Duration))["http.request.method"]);
        var activity = Assert.Single(activities.Stopped);
        Assert.Equal("_OTHER", activity.GetTagItem("http.request.method"));
        Assert.Equal("BREW", activity.GetTagItem("http.request.method_original"));
        Assert.Equal("HTTP", activity.DisplayName);
    }

    [Fact]
    public async Task Request_AwaitForeach_ActivityLastsUntilTheConsumerClosesTheResponse()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        var closeNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serving = Task.Run(async () =>
        {
            await foreach (var request in server)
            {
                taken.TrySetResult();
                await closeNow.Task;
                request.Response.Write("late");
                await request.Response.CloseAsync();
                break;
            }
        });

        using var client = Client();
        var answering = client.GetStringAsync(HttpTesting.Url(server, "/queued"));
        await taken.Task.Within();
        Assert.Empty(activities.Stopped);

        closeNow.SetResult();
        Assert.Equal("late", await answering.Within());
        await activities.WhenStoppedAsync();
        Assert.Equal("/queued", Assert.Single(activities.Stopped).GetTagItem("url.path"));
        await serving.Within();
    }

    [Fact]
    public async Task Request_Http2OverTls_HttpsAndVersion2AndTheConnectionsBytesCounted()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        using var requests = new MetricCapture("DartIo.Http", server.Port);
        using var sockets = new MetricCapture("DartIo", server.Port);
        server.Listen(request =>
        {
            request.Response.Write("secure");
            return Task.CompletedTask;
        });

        using (var client = HttpServerSecureTests.SecureClient())
        using (var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        })
        {
            using var response = await client.SendAsync(message).Within();
            Assert.Equal(HttpVersion.Version20, response.Version);
        }

        await requests.WhenAsync(m => m.Of(Duration).Count == 1);
        var measurement = Assert.Single(requests.Of(Duration));
        Assert.Equal("https", measurement["url.scheme"]);
        Assert.Equal("2", measurement["network.protocol.version"]);
        Assert.Equal("1.3", Assert.Single(sockets.Of("dartio.tls_handshake.duration"))["tls.protocol.version"]);
        Assert.True(sockets.Sum("dartio.connection.io", ("network.io.direction", "receive")) > 0); // HTTPS runs through DartIo's stream
        Assert.True(sockets.Sum("dartio.connection.io", ("network.io.direction", "transmit")) > 0);
    }

    [Fact]
    public async Task Request_ClientGoneMidRequest_EndsOnceWithoutAnError()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            entered.TrySetResult();
            await request.Response.Done.ContinueWith(_ => { }, TaskScheduler.Default); // ends when the client goes
            handled.TrySetResult();
        });

        using (var client = await HttpTesting.ConnectAsync(server.Port))
        {
            await client.SendAsync("GET /gone HTTP/1.1\r\nHost: x\r\n\r\n");
            await entered.Task.Within();
            Assert.Equal(1, metrics.Sum(ActiveRequests));
            client.Socket.Close(0); // a reset, mid-request
        }

        await handled.Task.Within();
        await activities.WhenStoppedAsync();
        await metrics.WhenSumAsync(ActiveRequests, 0);
        Assert.Equal([1.0, -1.0], metrics.Of(ActiveRequests).Select(m => m.Value));
        Assert.False(Assert.Single(metrics.Of(Duration)).Tags.ContainsKey("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, Assert.Single(activities.Stopped).Status);
    }

    [Fact]
    public async Task Request_MalformedRequestLine_NeitherMeasuredNorTraced()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(_ => Task.CompletedTask);

        var refused = await HttpTesting.SendAsync(server.Port, "GARBAGE\r\n\r\n");
        Assert.Equal(400, refused.Status);
        Assert.Equal(200, (await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).Status);

        await activities.WhenStoppedAsync();
        await metrics.WhenAsync(m => m.Of(Duration).Count == 1); // only the good one
        Assert.Single(activities.Stopped);
        Assert.Equal(0, metrics.Sum(ActiveRequests));
    }

    [Fact]
    public async Task Request_NobodyListening_NoActivityInTheHandler()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var current = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(_ =>
        {
            current.TrySetResult(Activity.Current);
            return Task.CompletedTask;
        });

        using var client = Client();
        using var message = new HttpRequestMessage(HttpMethod.Get, HttpTesting.Url(server));
        message.Headers.Add("traceparent", TraceParent);
        using var response = await client.SendAsync(message).Within();

        Assert.Null(await current.Task.Within());
    }

    /// <summary>A client that adds no trace headers of its own (the tests send them by hand).</summary>
    private static HttpClient Client() => HttpTesting.Client(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.None,
        ActivityHeadersPropagator = null,
    });
}
