using DartIo;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace HostedServer;

/// <summary>The sample's requests: made per request from a DI scope, with the host's services injected.</summary>
internal sealed partial class SampleHandler(HealthCheckService health, ILogger<SampleHandler> logger) : IHttpRequestHandler
{
    public async Task HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var response = request.Response;
        response.Headers.ContentType = "text/plain; charset=utf-8";
        switch (request.Path)
        {
            case "/":
                response.Write($"Hello from DartIo.Hosting, {request.ConnectionInfo?.RemoteAddress.Address}\n");
                break;
            case "/health":
                var report = await health.CheckHealthAsync(cancellationToken);
                response.StatusCode = report.Status == HealthStatus.Unhealthy ? 503 : 200;
                response.Write($"{report.Status}\n");
                foreach (var (name, entry) in report.Entries)
                {
                    response.Write($"{name}: {entry.Status}: {entry.Description}\n");
                }

                break;
            default:
                response.StatusCode = 404;
                response.Write("Not found\n");
                break;
        }

        LogRequest(logger, request.Method, request.Path, response.StatusCode);
        await response.CloseAsync();
    }

    [LoggerMessage(1, LogLevel.Information, "{Method} {Path}: {Status}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status);
}
