using System.Diagnostics;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Observability;

/// <summary>
/// Request telemetry against hostile headers and a keep-alive connection (no trace leaks from one request to the next),
/// and against an application's listener that throws.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class RequestTelemetryHostileTests
{
    private const string CloseRequest = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public async Task Request_KeepAliveTracedThenUntracedThenGarbage_EachAloneInItsTrace()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        var seen = new List<(string? Trace, string? Parent, int Baggage)>();
        server.Listen(request =>
        {
            var current = Activity.Current;
            lock (seen)
            {
                seen.Add((current?.TraceId.ToHexString(), current?.ParentSpanId.ToHexString(), current?.Baggage.Count() ?? -1));
            }

            return Task.CompletedTask;
        });

        var hugeState = string.Join(",", Enumerable.Range(0, 400).Select(i => $"k{i}=v{i}"));
        var hugeBaggage = string.Join(",", Enumerable.Range(0, 400).Select(i => $"b{i}=%00{i}"));
        string[] extras =
        [
            $"traceparent: {TraceParent}\r\ntracestate: {hugeState}\r\nbaggage: {hugeBaggage}\r\n",
            "",
            "traceparent: 00-00000000000000000000000000000000-0000000000000000-01\r\n",
            $"traceparent: {new string('f', 4000)}\r\nbaggage: ;;;==,,\r\n",
            "traceparent: zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n",
            "",
        ];
        using var connection = await HttpTesting.ConnectAsync(server.Port);
        foreach (var extra in extras)
        {
            await connection.SendAsync($"GET / HTTP/1.1\r\nHost: x\r\n{extra}\r\n");
            Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        }

        await activities.WhenStoppedAsync(extras.Length);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", seen[0].Trace);
        Assert.Equal("b7ad6b7169203331", seen[0].Parent);
        for (var i = 1; i < extras.Length; i++)
        {
            Assert.NotNull(seen[i].Trace);
            Assert.Equal("0000000000000000", seen[i].Parent); // a root: nothing of the request before it
            Assert.NotEqual(seen[0].Trace, seen[i].Trace);
            Assert.Equal(0, seen[i].Baggage);
        }

        Assert.Equal(extras.Length, seen.Select(s => s.Trace).Distinct().Count());
    }

    [Theory]
    [InlineData("%zz=%%%,;;=,=x,k=v;prop=1;=;")]
    [InlineData("k=%E2%82,\"q\"=\"v\",==,,,,")]
    [InlineData("a=1,a=2,a=3")]
    public async Task Request_ValidTraceparentWithGarbageBaggage_ContinuesTheTraceAndServes(string baggage)
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var activities = new ActivityCapture("DartIo.Http", server.Port);
        server.Listen(request =>
        {
            request.Response.Write(Activity.Current?.TraceId.ToHexString() ?? "none");
            return Task.CompletedTask;
        });

        var many = string.Join(",", Enumerable.Repeat(baggage, 200));
        var answer = await HttpTesting.SendAsync(server.Port,
            $"GET / HTTP/1.1\r\nHost: x\r\ntraceparent: {TraceParent}\r\nbaggage: {many}\r\nbaggage: {baggage}\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, answer.Status);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", answer.Text);
        await activities.WhenStoppedAsync();
    }

    [Fact]
    public async Task Request_ListenerThrowsWhenTheActivityStarts_ConnectionCutAndNothingCountedAsStillActive()
    {
        // As in ASP.NET, a listener's exception is not swallowed: Kestrel ends that connection. But what was begun for the
        // request must end: an active_requests count left at 1 for ever would be a lie on every dashboard.
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        using var metrics = new MetricCapture("DartIo.Http", server.Port);
        var throwing = 1;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "DartIo.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ =>
            {
                if (Volatile.Read(ref throwing) == 1)
                {
                    throw new InvalidOperationException("an exporter's bug");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        server.Listen(request =>
        {
            request.Response.Write("ok");
            return Task.CompletedTask;
        });

        await Assert.ThrowsAsync<EndOfStreamException>(() => HttpTesting.SendAsync(server.Port, CloseRequest));
        Volatile.Write(ref throwing, 0);
        Assert.Equal(200, (await HttpTesting.SendAsync(server.Port, CloseRequest)).Status); // the server goes on

        await metrics.WhenSumAsync("http.server.active_requests", 0);
        Assert.Equal([1.0, -1.0, 1.0, -1.0], metrics.Of("http.server.active_requests").Select(m => m.Value));
        await server.CloseAsync().Within();
        await server.Done.Within(); // a graceful close is not held up by the failed request
    }
}
