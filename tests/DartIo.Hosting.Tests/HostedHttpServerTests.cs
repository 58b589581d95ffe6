using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.Tests.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DartIo.Hosting.Tests;

/// <summary>AddDartIoHttpServer in a host built in-process: bind from configuration, serve, log through the host, stop.</summary>
public sealed class HostedHttpServerTests
{
    private static Dictionary<string, string?> Web(params (string Key, string? Value)[] settings) => TestHost.Loopback("web", settings);

    private static Task Hello(HttpRequest request)
    {
        request.Response.Write("hello " + request.Path);
        return request.Response.CloseAsync();
    }

    private static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TestHost.Timeout };

    [Fact]
    public async Task Start_PortZeroFromConfiguration_ServesRequestsOnTheBoundPort()
    {
        await using var host = await TestHost.StartAsync(Web(), services => services.AddDartIoHttpServer("web", Hello));
        var server = host.HttpServer("web");

        using var client = Client();
        var text = await client.GetStringAsync($"http://127.0.0.1:{server.Port}/a");

        Assert.Equal("hello /a", text);
        Assert.NotEqual(0, server.Port);
        Assert.Equal(InternetAddress.LoopbackIPv4, server.Address);
        Assert.Equal("web", server.Name);
    }

    [Fact]
    public async Task Start_HostLogging_TheServersLogsReachTheHostsProvider()
    {
        await using var host = await TestHost.StartAsync(Web(), services => services.AddDartIoHttpServer("web", Hello));
        var port = host.HttpServer("web").Port;

        var listening = Assert.Single(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 1);
        Assert.Contains($"'web' listening on http://127.0.0.1:{port}", listening.Text, StringComparison.Ordinal);
        // The HTTP server's own entry (DartIo.Http 200, bound) came through the host's factory, not the static one.
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Http" && e.Event.Id == 200 && e.Text.Contains($":{port}", StringComparison.Ordinal));
        Assert.Same(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, DartIoLogging.LoggerFactory);
    }

    [Fact]
    public async Task Start_TwoHostsAtOnce_EachServersLogsGoToItsOwnHost()
    {
        var starting = await Task.WhenAll(
            TestHost.StartAsync(Web(), services => services.AddDartIoHttpServer("web", Hello)),
            TestHost.StartAsync(Web(), services => services.AddDartIoHttpServer("web", Hello)));
        await using var first = starting[0];
        await using var second = starting[1];
        var (firstPort, secondPort) = (first.HttpServer("web").Port, second.HttpServer("web").Port);
        using var client = Client();
        await client.GetStringAsync($"http://127.0.0.1:{firstPort}/");

        static IEnumerable<string> Bound(TestHost host) =>
            host.Logs.Entries.Where(e => e.Category == "DartIo.Http" && e.Event.Id == 200).Select(e => e.Text);
        Assert.Contains($":{firstPort}", Assert.Single(Bound(first)), StringComparison.Ordinal);
        Assert.Contains($":{secondPort}", Assert.Single(Bound(second)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_SynchronousHostDisposeAfterRun_StopsWithoutError()
    {
        var host = TestHost.Build(Web(), services => services.AddDartIoHttpServer("web", Hello));
        await host.Host.StartAsync().WaitAsync(TestHost.Timeout);
        var port = host.HttpServer("web").Port;

        host.Host.Dispose(); // `using var host = builder.Build();` disposes synchronously, without a stop

        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(port));
    }

    [Fact]
    public async Task Port_BeforeStart_InvalidOperationException()
    {
        await using var host = TestHost.Build(Web(), services => services.AddDartIoHttpServer("web", Hello));

        var error = Assert.Throws<InvalidOperationException>(() => host.HttpServer("web").Port);

        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_RequestInFlight_WaitsForItAndItsResponseArrives()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Web(), services => services.AddDartIoHttpServer("web", async request =>
        {
            entered.SetResult();
            await release.Task;
            request.Response.Write("finished");
            await request.Response.CloseAsync();
        }));
        var port = host.HttpServer("web").Port;
        using var client = Client();
        var response = client.GetStringAsync($"http://127.0.0.1:{port}/slow");
        await entered.Task.WaitAsync(TestHost.Timeout);

        var stop = host.Host.StopAsync();
        await host.Logs.WhenLogged("DartIo.Hosting", 2).WaitAsync(TestHost.Timeout); // stopping, 1 in progress

        Assert.False(stop.IsCompleted);
        Assert.Contains("1 in progress", host.Logs.Entries.Single(e => e.Event.Id == 2 && e.Category == "DartIo.Hosting").Text, StringComparison.Ordinal);
        await host.Logs.WhenLogged("DartIo.Http", 201).WaitAsync(TestHost.Timeout); // the server closed: the port is released
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(port)); // no new connections meanwhile
        release.SetResult();
        Assert.Equal("finished", await response.WaitAsync(TestHost.Timeout));
        await stop.WaitAsync(TestHost.Timeout);
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 3); // stopped gracefully
        Assert.DoesNotContain(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 4);
    }

    [Fact]
    public async Task Stop_RequestOutlivesShutdownTimeout_AbortedWhenTheTimeoutPasses()
    {
        var clock = new ManualTimeProvider();
        var handlerEnded = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Web(("ShutdownTimeout", "00:00:05")), services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddDartIoHttpServer("web", async request =>
            {
                entered.SetResult();
                try
                {
                    await request.Body.ReadExactlyAsync(new byte[10]); // the client never sends its body
                    handlerEnded.SetResult(null);
                }
                catch (Exception ex)
                {
                    handlerEnded.SetResult(ex);
                    throw;
                }
            });
        });
        var port = host.HttpServer("web").Port;
        using var client = await ConnectAsync(port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"));
        await entered.Task.WaitAsync(TestHost.Timeout);
        var timer = clock.NextTimerCreated;

        var stop = host.Host.StopAsync();
        await timer.WaitAsync(TestHost.Timeout); // the stop is waiting for the request, on the clock
        Assert.False(stop.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(5));

        await stop.WaitAsync(TestHost.Timeout);
        var forced = Assert.Single(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 4);
        Assert.Equal(LogLevel.Warning, forced.Level);
        Assert.Contains("shutdown timeout", forced.Text, StringComparison.Ordinal);
        Assert.NotNull(await handlerEnded.Task.WaitAsync(TestHost.Timeout)); // its read failed: the request was aborted
    }

    [Fact]
    public async Task Stop_HostsShutdownTokenFires_InFlightRequestAbortedAndHandlerTokenCancelled()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Web(), services =>
        {
            services.AddSingleton(new HandlerProbe(entered, cancelled));
            services.AddDartIoHttpServer<WaitingHandler>("web");
        });
        var server = host.HttpServer("web");
        using var client = Client();
        var response = client.GetAsync($"http://127.0.0.1:{server.Port}/");
        await entered.Task.WaitAsync(TestHost.Timeout);

        await server.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TestHost.Timeout);

        await cancelled.Task.WaitAsync(TestHost.Timeout);
        try
        {
            using var answered = await response.WaitAsync(TestHost.Timeout);
            Assert.Equal(HttpStatusCode.InternalServerError, answered.StatusCode); // the handler gave up before the abort reached it
        }
        catch (HttpRequestException)
        {
            // aborted: the usual outcome
        }
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 4 && e.Text.Contains("shutdown token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_HostsShutdownTimeoutShorterThanTheServers_TheHostsWins()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Web(("ShutdownTimeout", "01:00:00")), services =>
        {
            services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.Zero);
            services.AddSingleton(new HandlerProbe(entered, cancelled));
            services.AddDartIoHttpServer<WaitingHandler>("web");
        });
        using var client = Client();
        var response = client.GetAsync($"http://127.0.0.1:{host.HttpServer("web").Port}/");
        await entered.Task.WaitAsync(TestHost.Timeout);

        await host.Host.StopAsync().WaitAsync(TestHost.Timeout); // the host's token fires at once

        await cancelled.Task.WaitAsync(TestHost.Timeout);
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 4 && e.Text.Contains("shutdown token", StringComparison.Ordinal));
        await Assert.ThrowsAnyAsync<Exception>(() => response.WaitAsync(TestHost.Timeout).ContinueWith(t => t.Result.EnsureSuccessStatusCode(), TaskScheduler.Default));
    }

    [Fact]
    public async Task AddDartIoHttpServerOfHandler_TwoRequests_HandlerMadePerRequestScope()
    {
        await using var host = await TestHost.StartAsync(Web(), services =>
        {
            services.AddScoped<RequestScoped>();
            services.AddDartIoHttpServer<ScopedHandler>("web");
        });
        var port = host.HttpServer("web").Port;
        using var client = Client();

        var first = await client.GetStringAsync($"http://127.0.0.1:{port}/");
        var second = await client.GetStringAsync($"http://127.0.0.1:{port}/");

        Assert.NotEqual(first, second); // a new scope, so a new handler and scoped service, per request
        await RequestScoped.WhenDisposed(first).WaitAsync(TestHost.Timeout); // and the scope is disposed after the request
        await RequestScoped.WhenDisposed(second).WaitAsync(TestHost.Timeout);
    }

    [Fact]
    public async Task Start_LimitsFromConfiguration_AppliedToTheServer()
    {
        await using var host = await TestHost.StartAsync(Web(("Limits:MaxRequestBodySize", "10"), ("Limits:IdleTimeout", "-1"),
            ("Limits:MinResponseDataRate", "-1"), ("Limits:MaxRequestHeaderCount", "20"), ("ServerHeader", "test")),
            services => services.AddDartIoHttpServer("web", async request =>
            {
                await request.Body.CopyToAsync(Stream.Null);
                await request.Response.CloseAsync();
            }));
        var server = Assert.Single(host.HttpServer("web").Servers);
        using var client = Client();

        using var tooLarge = await client.PostAsync($"http://127.0.0.1:{server.Port}/", new ByteArrayContent(new byte[100]));
        using var small = await client.PostAsync($"http://127.0.0.1:{server.Port}/", new ByteArrayContent(new byte[10]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(10, server.MaxRequestBodySize);
        Assert.Null(server.IdleTimeout);
        Assert.Null(server.MinResponseDataRate);
        Assert.Equal(20, server.MaxRequestHeaderCount);
        Assert.Equal("test", small.Headers.Server.ToString());
    }

    [Fact]
    public async Task Start_NoBodyLimit_MinusOneMeansNone()
    {
        await using var host = await TestHost.StartAsync(Web(("Limits:MaxRequestBodySize", "-1")), services => services.AddDartIoHttpServer("web", Hello));

        Assert.Null(Assert.Single(host.HttpServer("web").Servers).MaxRequestBodySize);
    }

    [Fact]
    public async Task Start_TwoSharedWorkers_BothServersOnOneSocketServe()
    {
        await using var host = await TestHost.StartAsync(Web(("Workers", "2"), ("Shared", "true"), ("Proxy:Mode", "Optional"),
            ("Proxy:TrustedProxies:0", "127.0.0.0/8")), services => services.AddDartIoHttpServer("web", Hello));
        var hosted = host.HttpServer("web");

        // Two clients, two kept-alive connections: the socket hands connections to its sharers in turn, so each worker
        // holds one while both are open.
        using var first = Client();
        using var second = Client();
        Assert.Equal("hello /", await first.GetStringAsync($"http://127.0.0.1:{hosted.Port}/"));
        Assert.Equal("hello /", await second.GetStringAsync($"http://127.0.0.1:{hosted.Port}/"));

        Assert.Equal(2, hosted.Servers.Count);
        Assert.All(hosted.Servers, s => Assert.Equal(1, s.ConnectionsInfo().Total));
        Assert.All(hosted.Servers, s => Assert.Equal(hosted.Port, s.Port));
        Assert.All(hosted.Servers, s => Assert.Equal(ProxyProtocolMode.Optional, s.ProxyProtocol));
        Assert.All(hosted.Servers, s => Assert.Equal(IPNetwork.Parse("127.0.0.0/8"), Assert.Single(s.TrustedProxies)));
    }

    [Fact]
    public async Task Start_InvalidSettings_OneErrorPerSettingNamingItsKey()
    {
        await using var host = TestHost.Build(new Dictionary<string, string?>
        {
            ["DartIo:web:Port"] = "70000",
            ["DartIo:web:Workers"] = "2",
            ["DartIo:web:Backlog"] = "-1",
            ["DartIo:web:Tls:KeyFile"] = "/nowhere/key.pem",
            ["DartIo:web:Proxy:TrustedProxies:0"] = "not a network",
            ["DartIo:web:Limits:MaxRequestBodySize"] = "-5",
        }, services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.Contains("DartIo:web:Port: 70000 is outside 0-65535", error.Message, StringComparison.Ordinal);
        Assert.Contains("DartIo:web:Workers: 2 workers share one socket, which needs DartIo:web:Shared", error.Message, StringComparison.Ordinal);
        Assert.Contains("DartIo:web:Backlog: -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("DartIo:web:Tls:KeyFile is set without DartIo:web:Tls:CertificateFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("DartIo:web:Proxy:TrustedProxies:0: 'not a network'", error.Message, StringComparison.Ordinal);
        Assert.Contains("DartIo:web:Limits:MaxRequestBodySize: -5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NoSection_PortRequiredNamingTheKey()
    {
        await using var host = TestHost.Build(new Dictionary<string, string?>(), services => services.AddDartIoHttpServer("api", Hello));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.Contains("DartIo:api:Port: required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PortNotANumber_ErrorNamesTheKey()
    {
        await using var host = TestHost.Build(Web(("Port", "eighty")), services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.Contains("DartIo:web:Port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PortTaken_NetworkExceptionAndNothingLeftBound()
    {
        await using var taken = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        await using var host = TestHost.Build(Web(("Port", taken.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            services => services.AddDartIoHttpServer("web", Hello));

        await Assert.ThrowsAsync<NetworkException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));
    }

    [Fact]
    public async Task Start_LimitTheServerRefuses_ErrorNamesTheKey()
    {
        await using var host = TestHost.Build(Web(("Limits:Http2MaxFrameSize", "10")), services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.StartsWith("DartIo:web:Limits:Http2MaxFrameSize: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TlsFromPemFilesMadeAtTestTime_ServesHttps()
    {
        using var folder = new TemporaryDirectory();
        var certificate = folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = folder.Write("web.key", TestCertificates.KeyPem(TestCertificates.Server));
        await using var host = await TestHost.StartAsync(Web(("Tls:CertificateFile", certificate), ("Tls:KeyFile", key)),
            services => services.AddDartIoHttpServer("web", Hello));
        var port = host.HttpServer("web").Port;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == TestCertificates.Server.Thumbprint },
        });

        var text = await client.GetStringAsync($"https://127.0.0.1:{port}/secure").WaitAsync(TestHost.Timeout);

        Assert.Equal("hello /secure", text);
        Assert.Contains(host.Logs.Entries, e => e.Event.Id == 1 && e.Text.Contains($"https://127.0.0.1:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_TlsCertificateFileMissing_ErrorNamesTheKey()
    {
        await using var host = TestHost.Build(Web(("Tls:CertificateFile", "/nowhere/web.pem")), services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.Contains("DartIo:web:Tls:CertificateFile: '/nowhere/web.pem' does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TlsKeyFileHoldsNoKey_ErrorNamesTheKeyFileNotTheCertificateFile()
    {
        using var folder = new TemporaryDirectory();
        var certificate = folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = folder.Write("web.key", TestCertificates.CertificatePem(TestCertificates.Server)); // a certificate, no key
        await using var host = TestHost.Build(Web(("Tls:CertificateFile", certificate), ("Tls:KeyFile", key)),
            services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.StartsWith("DartIo:web:Tls:KeyFile: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<CertificateException>(error.InnerException);
    }

    [Fact]
    public async Task Start_TlsCertificateNameNotInTheDatabase_ErrorNamesTheKey()
    {
        using var folder = new TemporaryDirectory();
        await using var host = TestHost.Build(Web(("Tls:CertificateName", "missing"), ("Tls:Database", folder.Path)),
            services => services.AddDartIoHttpServer("web", Hello));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.StartsWith("DartIo:web:Tls:CertificateName: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<CertificateException>(error.InnerException);
    }

    [Fact]
    public async Task Start_TlsCertificateNameFromADatabase_ServesHttps()
    {
        using var folder = new TemporaryDirectory();
        CertificateDatabase.Open(folder.Path, "pw").Add("web", TestCertificates.Server);
        await using var host = await TestHost.StartAsync(Web(("Tls:CertificateName", "web"), ("Tls:Database", folder.Path), ("Tls:Password", "pw")),
            services => services.AddDartIoHttpServer("web", Hello));
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == TestCertificates.Server.Thumbprint },
        });

        Assert.Equal("hello /", await client.GetStringAsync($"https://127.0.0.1:{host.HttpServer("web").Port}/").WaitAsync(TestHost.Timeout));
    }

    [Fact]
    public void AddDartIoHttpServer_SameNameTwice_ArgumentException()
    {
        var services = new ServiceCollection();
        services.AddDartIoHttpServer("web", Hello);

        var error = Assert.Throws<ArgumentException>("name", () => services.AddDartIoServerSocket("web", (_, _) => Task.CompletedTask));

        Assert.Contains("DartIo:web", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDartIoHttpServer_BadArguments_Rejected()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentException>("name", () => services.AddDartIoHttpServer("a:b", Hello));
        Assert.Throws<ArgumentException>("name", () => services.AddDartIoHttpServer(" ", Hello));
        Assert.Throws<ArgumentNullException>("handler", () => services.AddDartIoHttpServer("web", null!));
    }

    [Fact]
    public async Task Start_ConfiguredInCode_NoConfigurationNeeded()
    {
        await using var host = await TestHost.StartAsync(new Dictionary<string, string?>(), services =>
        {
            services.AddDartIoHttpServer("web", Hello);
            services.Configure<DartIoHttpServerOptions>("web", o => (o.Address, o.Port) = ("127.0.0.1", 0));
        });

        using var client = Client();
        Assert.Equal("hello /", await client.GetStringAsync($"http://127.0.0.1:{host.HttpServer("web").Port}/"));
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TestHost.Timeout);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    internal sealed record HandlerProbe(TaskCompletionSource Entered, TaskCompletionSource Cancelled);

    internal sealed class WaitingHandler(HandlerProbe probe) : IHttpRequestHandler
    {
        public async Task HandleAsync(HttpRequest request, CancellationToken cancellationToken)
        {
            await using var registration = cancellationToken.Register(() => probe.Cancelled.TrySetResult());
            probe.Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    internal sealed class RequestScoped : IDisposable
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> s_disposed = new();

        public string Id { get; } = Guid.NewGuid().ToString("N");

        public static Task WhenDisposed(string id) => Signal(id).Task;

        public void Dispose() => Signal(Id).TrySetResult();

        private static TaskCompletionSource Signal(string id) =>
            s_disposed.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    internal sealed class ScopedHandler(RequestScoped scoped) : IHttpRequestHandler
    {
        public Task HandleAsync(HttpRequest request, CancellationToken cancellationToken)
        {
            request.Response.Write(scoped.Id);
            return request.Response.CloseAsync();
        }
    }
}
