using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// What Kestrel runs for every request: DartIo's own request and response views, without ASP.NET's hosting
/// layer or middleware pipeline.
/// </summary>
internal sealed class HttpApplication(HttpServer server) : IHttpApplication<HttpRequest>
{
    public HttpRequest CreateContext(IFeatureCollection contextFeatures) => server.CreateRequest(contextFeatures);

    public Task ProcessRequestAsync(HttpRequest context) => server.ProcessRequestAsync(context);

    public void DisposeContext(HttpRequest context, Exception? exception) => server.EndRequest(context, exception);
}
