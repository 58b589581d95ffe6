using System.Net;
using System.Security.Cryptography;
using DartIo.FunctionalTests.Support;
using static DartIo.FunctionalTests.Http.HttpServerSecureTests;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// HTTPS now rides DartIo's own TLS stage and <c>SecureConnectionContext</c>'s pumps instead of Kestrel's TLS: big
/// bodies both ways arrive intact over HTTP/1.1 and many HTTP/2 streams, and closing with requests in flight answers them.
/// </summary>
public sealed class HostileHttpsTests
{
    private const int Size = 24 * 1024 * 1024;

    private static byte[] Payload(int seed)
    {
        var bytes = new byte[Size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Echoes the SHA-256 of the upload, then sends the payload of the seed in the query (?seed=n).</summary>
    private static async Task<HttpServer> ServeAsync()
    {
        var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, ServerContext());
        server.Listen(async request =>
        {
            if (request.Method == "POST")
            {
                var hash = await SHA256.HashDataAsync(request.Body);
                request.Response.Write(Convert.ToHexString(hash));
                return;
            }

            var payload = Payload(int.Parse(request.QueryParameters["seed"], System.Globalization.CultureInfo.InvariantCulture));
            for (var offset = 0; offset < payload.Length; offset += 100_000)
            {
                await request.Response.AddAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)));
            }
        });
        return server;
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task BindSecureAsync_BigBodiesBothWays_ArriveIntact(string version)
    {
        await using var server = await ServeAsync();
        using var client = SecureClient();
        var http = Version.Parse(version);

        var results = await Task.WhenAll(Enumerable.Range(1, 4).Select(async seed =>
        {
            using var download = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/?seed={seed}")
            {
                Version = http,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var got = await client.SendAsync(download);
            var downloaded = SHA256.HashData(await got.Content.ReadAsByteArrayAsync());

            using var upload = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{server.Port}/")
            {
                Version = http,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(Payload(seed)),
            };
            using var put = await client.SendAsync(upload);
            return (Expected: Convert.ToHexString(SHA256.HashData(Payload(seed))), Downloaded: Convert.ToHexString(downloaded),
                Uploaded: await put.Content.ReadAsStringAsync(), put.Version);
        })).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.All(results, r =>
        {
            Assert.Equal(http, r.Version);
            Assert.Equal(r.Expected, r.Downloaded);
            Assert.Equal(r.Expected, r.Uploaded);
        });
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task CloseAsync_HttpsRequestInFlight_AnswersItThenDone(string version)
    {
        var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, ServerContext());
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            started.TrySetResult();
            await release.Task;
            request.Response.Write("finished");
        });
        using var client = SecureClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/")
        {
            Version = Version.Parse(version),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = client.SendAsync(message);
        await started.Task.Within();

        var closing = server.CloseAsync();
        release.SetResult();

        using var answered = await response.Within();
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("finished", await answered.Content.ReadAsStringAsync());
        await closing.Within();
        client.Dispose(); // the client's idle connection goes; the server's Done follows
        await server.Done.Within();
    }
}
