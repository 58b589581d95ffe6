// The reference for the HTTP cases: a bare Kestrel app (WebApplication's empty builder, Kestrel's core only,
// no middleware) whose one RequestDelegate answers "Hello, World!".
//
//   KestrelHello [--tls CERT.pem KEY.pem]
//
// Binds 127.0.0.1 on an ephemeral port and prints its URL as the first line on stdout. With --tls it speaks
// HTTP/1.1 and HTTP/2 (ALPN) over TLS. SIGTERM or Ctrl+C stops it.
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;

X509Certificate2? certificate = null;
if (args.Length == 3 && args[0] == "--tls")
{
    certificate = X509Certificate2.CreateFromPemFile(args[1], args[2]);
}
else if (args.Length != 0)
{
    Console.Error.WriteLine("usage: KestrelHello [--tls CERT.pem KEY.pem]");
    return 2;
}

var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore();
if (certificate is not null)
{
    builder.WebHost.UseKestrelHttpsConfiguration();
}

builder.WebHost.ConfigureKestrel(options =>
{
    options.AddServerHeader = false;
    options.Listen(IPAddress.Loopback, 0, listen =>
    {
        if (certificate is not null)
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(certificate);
        }
    });
});

var app = builder.Build();
var hello = "Hello, World!"u8.ToArray();
app.Run(context =>
{
    var response = context.Response;
    response.StatusCode = 200;
    response.ContentType = "text/plain";
    response.ContentLength = hello.Length;
    return response.Body.WriteAsync(hello).AsTask();
});

await app.StartAsync();
Console.WriteLine(app.Urls.First());
Console.Out.Flush();
await app.WaitForShutdownAsync();
return 0;
