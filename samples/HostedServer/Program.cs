// The DartIo.Hosting sample: an HTTP server as a hosted service of the .NET generic host.
//
//   dotnet run                                   serves http://localhost:8080/ (appsettings.json, DartIo:web)
//   dotnet run -- --DartIo:web:Port=0            any free port: read it from the "listening on" log line
//   DartIo__web__Address=0.0.0.0 dotnet run      settings from the environment too
//
// GET / answers hello, GET /health runs the health checks (certificate expiry over the default certificate
// database). Ctrl+C (or SIGTERM) stops it gracefully: no new connections, requests in progress finish (up to
// DartIo:web:ShutdownTimeout), then the process exits 0.
using DartIo;
using HostedServer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// appsettings.json is read beside the program, wherever it is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddHealthChecks().AddDartIoCertificateExpiry("certificates");
builder.Services.AddDartIoHttpServer<SampleHandler>("web");
await builder.Build().RunAsync();
