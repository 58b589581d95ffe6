using System.Diagnostics;
using System.Net;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DartIo.FunctionalTests.Observability;

/// <summary>
/// The names docs/observability.md gives, used as an application would: the OpenTelemetry SDK with
/// <c>AddMeter("DartIo", "DartIo.Http")</c> and <c>AddSource("DartIo.Http")</c>, exported to memory.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class OpenTelemetryExportTests
{
    [Fact]
    public async Task OpenTelemetrySdk_AddMeterAndAddSourceByTheDocumentedNames_ExportsTheRequestAndItsConnection()
    {
        var metrics = new List<MetricSnapshot>();
        var spans = new List<Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter("DartIo", "DartIo.Http")
            .AddInMemoryExporter(metrics)
            .Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSource("DartIo.Http")
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(spans)
            .Build();

        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var port = server.Port;
        server.Listen(request =>
        {
            request.Response.Write("exported");
            return Task.CompletedTask;
        });

        using (var client = HttpTesting.Client(new SocketsHttpHandler { ActivityHeadersPropagator = null }))
        using (var message = new HttpRequestMessage(HttpMethod.Get, HttpTesting.Url(server, "/export")))
        {
            message.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            using var response = await client.SendAsync(message).Within();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await server.CloseAsync().Within();
        await server.Done.Within(); // every connection has closed and given its place back
        Assert.True(tracerProvider.ForceFlush());
        Assert.True(meterProvider.ForceFlush());

        var span = Assert.Single(spans, s => s.GetTagItem("server.port") is int spanPort && spanPort == port);
        Assert.Equal("DartIo.Http.HttpRequestIn", span.OperationName);
        Assert.Equal("DartIo.Http", span.Source.Name);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", span.TraceId.ToHexString());
        Assert.Equal("/export", span.GetTagItem("url.path"));

        var duration = Points(metrics, "http.server.request.duration", port);
        var point = Assert.Single(duration);
        Assert.Equal(1, point.GetHistogramCount());
        Assert.Equal("s", metrics.Last(m => m.Name == "http.server.request.duration").Unit);
        Assert.Equal(200, Tag(point, "http.response.status_code"));
        Assert.Equal("GET", Tag(point, "http.request.method"));

        Assert.Equal(0, Points(metrics, "http.server.active_requests", port).Sum(p => p.GetSumLong()));
        Assert.Equal(1, Points(metrics, "dartio.accepted_connections", port).Sum(p => p.GetSumLong()));
        Assert.Equal(0, Points(metrics, "dartio.active_connections", port).Sum(p => p.GetSumLong())); // closed with the server
    }

    /// <summary>The points of the last export of <paramref name="name"/> that belong to the server on <paramref name="port"/>.</summary>
    private static List<MetricPoint> Points(List<MetricSnapshot> metrics, string name, int port) =>
        metrics.Last(m => m.Name == name).MetricPoints.Where(p => Equals(Tag(p, "server.port"), port)).ToList();

    private static object? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
