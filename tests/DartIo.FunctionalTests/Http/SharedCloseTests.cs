using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>Runs alone: the load of these tests would slow the others down, and theirs would stretch these.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "Load";
}

/// <summary>
/// Closing some of several shared servers under load loses no connection they accepted (SPEC 7, issue 10): four servers
/// share a port, clients keep opening connections, and three servers close gracefully one after another.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class SharedCloseTests
{
    private const int Sharers = 4;
    private const int Runs = 20;
    private const int Clients = 32;

    /// <summary>Answered exchanges between one close and the next (and after the last).</summary>
    private const int PerPhase = 60;

    [Fact]
    public async Task HttpServer_ThreeOfFourSharersCloseUnderLoad_NoConnectionClosedUnanswered()
    {
        var failures = new List<string>();
        for (var run = 0; run < Runs; run++)
        {
            var servers = await BindSharersAsync(port => HttpServer.BindAsync("127.0.0.1", port, shared: true), server => server.Port);

            foreach (var server in servers)
            {
                server.Listen(request =>
                {
                    request.Response.Write("ok");
                    return Task.CompletedTask;
                });
            }

            var load = new ClosingLoad(servers[0].Port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                answer => answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), halfClose: false);
            failures.AddRange((await RunAsync(load, servers.Select(s => (Func<Task>)(() => s.CloseAsync())).ToList()))
                .Select(failure => $"run {run}: {failure}"));
            for (var i = 0; i < servers.Count; i++)
            {
                var done = await Task.WhenAny(servers[i].Done, Task.Delay(Wait.Long));
                if (done != servers[i].Done)
                {
                    failures.Add($"run {run}: server {i} not done: {servers[i].ConnectionsInfo()}");
                }
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task ServerSocket_ThreeOfFourSharersCloseUnderLoad_NoConnectionClosedUnanswered()
    {
        var failures = new List<string>();
        for (var run = 0; run < Runs; run++)
        {
            var servers = await BindSharersAsync(port => ServerSocket.BindAsync("127.0.0.1", port, shared: true), server => server.Port);

            var echoes = servers.Select(Loopback.EchoAllAsync).ToArray();
            var load = new ClosingLoad(servers[0].Port, "ping", answer => answer == "ping", halfClose: true);
            failures.AddRange((await RunAsync(load, servers.Select(s => (Func<Task>)s.CloseAsync).ToList()))
                .Select(failure => $"run {run}: {failure}"));
            await Task.WhenAll(echoes).Within();
        }

        Assert.Empty(failures);
    }

    /// <summary>Binds the first server on port 0, the others shared on its port.</summary>
    private static async Task<List<T>> BindSharersAsync<T>(Func<int, Task<T>> bind, Func<T, int> portOf)
    {
        var servers = new List<T> { await bind(0).Within() };
        for (var i = 1; i < Sharers; i++)
        {
            servers.Add(await bind(portOf(servers[0])).Within());
        }

        return servers;
    }

    /// <summary>Starts the load, closes all servers but the last one after another between phases, stops the load, closes the last.</summary>
    private static async Task<IReadOnlyList<string>> RunAsync(ClosingLoad load, List<Func<Task>> closes)
    {
        load.Start(Clients);
        for (var i = 0; i < closes.Count - 1; i++)
        {
            await load.WhenAnswered((i + 1) * PerPhase).Within();
            await closes[i]().Within();
        }

        await load.WhenAnswered(closes.Count * PerPhase).Within();
        await load.StopAsync();
        await closes[^1]().Within();
        return load.Failures;
    }
}
