using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Http;

/// <summary>Kestrel's limits on <see cref="HttpServer"/> and <see cref="HttpRequest.MaxRequestBodySize"/> (issue 12).</summary>
[Collection(GlobalLoggingCollection.Name)] // one test captures the process-wide log
public sealed class HttpServerLimitsTests
{
    private const int Upload = 40_000_000; // over Kestrel's 30,000,000-byte default

    [Fact]
    public async Task Limits_Defaults_AreKestrels()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();

        Assert.Equal(30_000_000, server.MaxRequestBodySize);
        Assert.Equal(100, server.MaxRequestHeaderCount);
        Assert.Equal(32_768, server.MaxRequestHeadersTotalSize);
        Assert.Equal(8_192, server.MaxRequestLineSize);
        Assert.Equal(TimeSpan.FromSeconds(30), server.RequestHeadersTimeout);
        Assert.Equal(240, server.MinRequestBodyDataRate);
        Assert.Equal(TimeSpan.FromSeconds(5), server.MinRequestBodyDataRateGracePeriod);
        Assert.Equal(100, server.Http2MaxStreamsPerConnection);
        Assert.Equal(16_384, server.Http2MaxFrameSize);
        Assert.Equal(32_768, server.Http2MaxRequestHeaderFieldSize); // Kestrel 10's; older Kestrels documented less
        Assert.Equal(1_048_576, server.Http2InitialConnectionWindowSize);
        Assert.Equal(786_432, server.Http2InitialStreamWindowSize);
    }

    [Fact]
    public async Task Limits_OutOfRange_ThrowArgumentOutOfRangeNamingValue()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();

        AssertRefused(() => server.MaxRequestBodySize = -1);
        AssertRefused(() => server.MaxRequestHeaderCount = 0);
        AssertRefused(() => server.MaxRequestHeadersTotalSize = 0);
        AssertRefused(() => server.MaxRequestLineSize = -5);
        AssertRefused(() => server.RequestHeadersTimeout = TimeSpan.Zero);
        AssertRefused(() => server.MinRequestBodyDataRate = 0);
        AssertRefused(() => server.MinRequestBodyDataRateGracePeriod = TimeSpan.FromSeconds(1));
        AssertRefused(() => server.Http2MaxStreamsPerConnection = 0);
        AssertRefused(() => server.Http2MaxFrameSize = 16_383);
        AssertRefused(() => server.Http2MaxFrameSize = 1 << 24);
        AssertRefused(() => server.Http2MaxRequestHeaderFieldSize = 0);
        AssertRefused(() => server.Http2InitialConnectionWindowSize = 65_534);
        AssertRefused(() => server.Http2InitialStreamWindowSize = 65_534);
        AssertRefused(() => server.IdleTimeout = TimeSpan.Zero); // the limits that were there before, named alike
        AssertRefused(() => server.MinResponseDataRate = 0);

        // A refused value changes nothing; the special values are taken.
        Assert.Equal(30_000_000, server.MaxRequestBodySize);
        server.MaxRequestBodySize = null;
        server.MinRequestBodyDataRate = null;
        server.RequestHeadersTimeout = Timeout.InfiniteTimeSpan;
        server.Http2MaxFrameSize = (1 << 24) - 1;
        Assert.Null(server.MaxRequestBodySize);
        Assert.Null(server.MinRequestBodyDataRate);
        Assert.Equal(Timeout.InfiniteTimeSpan, server.RequestHeadersTimeout);
        Assert.Equal((1 << 24) - 1, server.Http2MaxFrameSize);
    }

    [Fact]
    public async Task MaxRequestBodySize_Default_RefusesA40MBUploadWith413AndClose()
    {
        using var capture = new LogCapture();
        var handlerSaw = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            try
            {
                await request.Body.CopyToAsync(Stream.Null);
            }
            catch (Exception ex)
            {
                handlerSaw.TrySetResult(ex);
                throw; // left to the server, as most handlers do
            }
        });

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync($"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {Upload}\r\n\r\n");
        await connection.SendAsync(new byte[64 * 1024]); // the start of the body; the rest never comes
        var response = await connection.ReadResponseAsync();

        Assert.Equal(413, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.ClosedByServerAsync().Within());
        var seen = await handlerSaw.Task.Within();
        Assert.Equal(413, Assert.IsAssignableFrom<Microsoft.AspNetCore.Http.BadHttpRequestException>(seen).StatusCode);

        await server.CloseAsync().Within();
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Contains(capture.Logs.Entries, e => e.Event.Id == 255 && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task MaxRequestBodySize_Http2BodyOverTheLimit_Answers413AndTheConnectionServesOn()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.MaxRequestBodySize = 1000;
        server.Listen(CountBodyAsync);
        using var client = HttpServerSecureTests.SecureClient();

        using var refused = await client.SendAsync(Http2Post(server, 2000)).Within();
        using var fine = await client.SendAsync(Http2Post(server, 500)).Within();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal(HttpVersion.Version20, refused.Version);
        Assert.Equal("500", await fine.Content.ReadAsStringAsync().Within());
    }

    [Fact]
    public async Task MaxRequestBodySize_Raised_AcceptsA40MBUpload()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxRequestBodySize = 50_000_000;
        server.Listen(CountBodyAsync);

        using var client = HttpTesting.Client();
        using var response = await client.PostAsync(HttpTesting.Url(server), new ByteArrayContent(new byte[Upload])).Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Upload.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync().Within());
    }

    [Fact]
    public async Task HttpRequestMaxRequestBodySize_RaisedByTheHandler_AcceptsA40MBChunkedUpload()
    {
        long? before = 0;
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(request =>
        {
            before = request.MaxRequestBodySize;
            request.MaxRequestBodySize = null; // this request only
            return CountBodyAsync(request);
        });

        using var client = HttpTesting.Client();
        var content = new StreamContent(new MemoryStream(new byte[Upload])); // no length: chunked, refused only as it grows
        using var response = await client.PostAsync(HttpTesting.Url(server), content).Within();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Upload.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync().Within());
        Assert.Equal(30_000_000, before);
        Assert.Equal(30_000_000, server.MaxRequestBodySize); // the server's limit is untouched
    }

    [Fact]
    public async Task HttpRequestMaxRequestBodySize_Lowered_Refuses413AndSetAfterReadingThrows()
    {
        var lateSet = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(async request =>
        {
            if (request.Path == "/late")
            {
                await request.Body.ReadExactlyAsync(new byte[1]);
                lateSet.TrySetResult(Record.Exception(() => request.MaxRequestBodySize = 10));
                await request.Body.CopyToAsync(Stream.Null);
                return;
            }

            Assert.Throws<ArgumentOutOfRangeException>("value", () => request.MaxRequestBodySize = -1);
            request.MaxRequestBodySize = 10;
            await request.Body.CopyToAsync(Stream.Null);
        });

        var refused = await HttpTesting.SendAsync(server.Port, "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
        Assert.Equal(413, refused.Status);

        var late = await HttpTesting.SendAsync(server.Port, "POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
        Assert.Equal(200, late.Status);
        Assert.IsType<InvalidOperationException>(await lateSet.Task.Within());
    }

    [Fact]
    public async Task MaxRequestHeaderCount_Exceeded_Answers431WithoutTheHandler()
    {
        var called = false;
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxRequestHeaderCount = 5;
        server.Listen(request =>
        {
            called = true;
            return Task.CompletedTask;
        });

        var headers = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        for (var i = 0; i < 5; i++)
        {
            headers.Append("X-H").Append(i).Append(": v\r\n");
        }

        var refused = await HttpTesting.SendAsync(server.Port, headers.Append("\r\n").ToString()); // six with Host
        var fine = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\n\r\n");

        Assert.Equal(431, refused.Status);
        Assert.Equal(200, fine.Status);
        Assert.True(called);
    }

    [Theory]
    [InlineData("MaxRequestHeadersTotalSize", 431)]
    [InlineData("MaxRequestLineSize", 414)]
    public async Task SizeLimit_Exceeded_AnswersItsStatusAndServesWhatFits(string limit, int status)
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        string Request(int size) => limit == "MaxRequestLineSize"
            ? $"GET /{new string('a', size)} HTTP/1.1\r\nHost: x\r\n\r\n"
            : $"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', size)}\r\n\r\n";
        if (limit == "MaxRequestLineSize")
        {
            server.MaxRequestLineSize = 1000;
        }
        else
        {
            server.MaxRequestHeadersTotalSize = 1000;
        }

        server.Listen(request => Task.CompletedTask);

        Assert.Equal(status, (await HttpTesting.SendAsync(server.Port, Request(2000))).Status);
        Assert.Equal(200, (await HttpTesting.SendAsync(server.Port, Request(900))).Status);
    }

    [Fact]
    public async Task MaxRequestLineSize_ChangedWhileServing_AppliesToTheNextRequest()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.Listen(request => Task.CompletedTask);
        using var connection = await HttpTesting.ConnectAsync(server.Port);
        var target = "/" + new string('a', 200);

        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        server.MaxRequestLineSize = 100;
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(414, (await connection.ReadResponseAsync()).Status); // same connection, next request
    }

    [Fact]
    public async Task Http2Limits_SetAfterBind_AreAnnouncedToTheNextConnection()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, HttpServerSecureTests.ServerContext()).Within();
        server.Listen(request => Task.CompletedTask);
        server.Http2MaxStreamsPerConnection = 7;
        server.Http2MaxFrameSize = 32_768;
        server.Http2InitialStreamWindowSize = 100_000;
        server.Http2InitialConnectionWindowSize = 2_000_000;
        server.MaxRequestHeadersTotalSize = 20_000;

        await using var ssl = await TlsTesting.ConnectSslStreamAsync(server.Port, protocols: [SslApplicationProtocol.Http2]).Within();
        await ssl.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\u0004\0\0\0\0\0"u8.ToArray()); // the preface, an empty SETTINGS
        var (type, settings) = await ReadFrameAsync(ssl);
        Assert.Equal(4, type); // SETTINGS comes first
        var values = new Dictionary<int, int>();
        for (var i = 0; i + 6 <= settings.Length; i += 6)
        {
            values[BinaryPrimitives.ReadUInt16BigEndian(settings.AsSpan(i))] = BinaryPrimitives.ReadInt32BigEndian(settings.AsSpan(i + 2));
        }

        var (updateType, update) = await ReadFrameAsync(ssl);

        Assert.Equal(7, values[0x3]);       // SETTINGS_MAX_CONCURRENT_STREAMS
        Assert.Equal(100_000, values[0x4]); // SETTINGS_INITIAL_WINDOW_SIZE
        Assert.Equal(32_768, values[0x5]);  // SETTINGS_MAX_FRAME_SIZE
        Assert.Equal(20_000, values[0x6]);  // SETTINGS_MAX_HEADER_LIST_SIZE
        Assert.Equal(8, updateType);        // WINDOW_UPDATE on the connection: up from the protocol's 65,535
        Assert.Equal(2_000_000 - 65_535, BinaryPrimitives.ReadInt32BigEndian(update));
    }

    [Fact]
    public async Task MinRequestBodyDataRate_BodyStalls_Answers408AndCloses()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MinRequestBodyDataRate = 100_000;
        server.MinRequestBodyDataRateGracePeriod = TimeSpan.FromSeconds(1.5);
        server.Listen(request => request.Body.CopyToAsync(Stream.Null));

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nstart"); // then nothing
        var response = await connection.ReadResponseAsync();

        Assert.Equal(408, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await connection.ClosedByServerAsync().Within());
    }

    [Fact]
    public async Task IdleTimeout_IsTheKeepAliveTimeout_ClosesAConnectionIdleAfterAResponse()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.IdleTimeout = TimeSpan.FromSeconds(1);
        server.Listen(request => Task.CompletedTask);
        using var connection = await HttpTesting.ConnectAsync(server.Port);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync()).Status);
        var started = TimeProvider.System.GetTimestamp();

        Assert.True(await connection.ClosedByServerAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        var idle = TimeProvider.System.GetElapsedTime(started);
        Assert.InRange(idle, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
    }

    private static async Task CountBodyAsync(HttpRequest request)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        request.Response.Write(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<(int Type, byte[] Payload)> ReadFrameAsync(Stream stream)
    {
        var header = new byte[9];
        await stream.ReadExactlyAsync(header).AsTask().Within();
        var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
        await stream.ReadExactlyAsync(payload).AsTask().Within();
        return (header[3], payload);
    }

    private static HttpRequestMessage Http2Post(HttpServer server, int size) =>
        new(HttpMethod.Post, $"https://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[size]),
        };

    private static void AssertRefused(Action set) => Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(set).ParamName);
}
