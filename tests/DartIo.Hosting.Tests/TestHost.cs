using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DartIo.Hosting.Tests;

/// <summary>
/// A generic host built in the test process, as WebApplicationFactory builds one: Host.CreateApplicationBuilder, the
/// configuration given in memory (over whatever else the defaults read), the host's logging captured.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestHost(IHost host, CapturingLoggerProvider logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>The configuration of one server on 127.0.0.1 port 0, with more settings under <c>DartIo:NAME:</c>.</summary>
    public static Dictionary<string, string?> Loopback(string name, params (string Key, string? Value)[] settings)
    {
        var configuration = new Dictionary<string, string?>
        {
            [$"DartIo:{name}:Address"] = "127.0.0.1",
            [$"DartIo:{name}:Port"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            configuration[$"DartIo:{name}:{key}"] = value;
        }

        return configuration;
    }

    /// <summary>Builds (does not start) a host with this configuration and these services.</summary>
    public static TestHost Build(IDictionary<string, string?> configuration, Action<IServiceCollection> configure)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            // An empty folder: the tests' own folder holds the sample's appsettings.json (copied for SampleProcessTests).
            ContentRootPath = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "testhost")).FullName,
            EnvironmentName = "Testing",
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        configure(builder.Services);
        return new TestHost(builder.Build(), logs);
    }

    /// <summary>Builds and starts a host.</summary>
    public static async Task<TestHost> StartAsync(IDictionary<string, string?> configuration, Action<IServiceCollection> configure)
    {
        var host = Build(configuration, configure);
        await host.Host.StartAsync().WaitAsync(Timeout);
        return host;
    }

    public HostedHttpServer HttpServer(string name) => Services.GetRequiredKeyedService<HostedHttpServer>(name);

    public HostedServerSocket ServerSocket(string name) => Services.GetRequiredKeyedService<HostedServerSocket>(name);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(Timeout);
        try
        {
            await Host.StopAsync(stop.Token);
        }
        finally
        {
            await ((IAsyncDisposable)Host).DisposeAsync();
        }
    }
}
