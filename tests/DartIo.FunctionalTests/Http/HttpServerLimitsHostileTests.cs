using System.Text;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>
/// Requests that break the limits or the framing while a handler reads the body without catching anything: each gets
/// its 4xx, the server logs nothing at Error (SPEC 12), and it serves the next connection.
/// </summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class HttpServerLimitsHostileTests
{
    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nabc", 400)] // Kestrel: an IOException, not its BadHttpRequestException
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\nabc", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413)]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n{1024}\r\n400\r\n{1024}\r\n0\r\n\r\n", 413)]
    public async Task Listen_BodyBreaksLimitOrFramingWhileTheHandlerReads_4xxAndNothingAtError(string request, int status)
    {
        using var capture = new LogCapture();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxRequestBodySize = 1500;
        server.Listen(async request =>
        {
            var buffer = new byte[4096];
            while (await request.Body.ReadAsync(buffer) > 0)
            {
            }

            request.Response.Write("read it all");
        });

        var answer = await HttpTesting.SendAsync(server.Port, request.Replace("{1024}", new string('a', 1024), StringComparison.Ordinal));

        Assert.Equal(status, answer.Status);
        Assert.True(capture.Errors.Count == 0, string.Join('\n', capture.Errors));
        Assert.Equal(200, (await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).Status);
    }

    [Fact]
    public async Task MaxRequestBodySize_Unlimited_A40MBChunkedBodyInOddChunksIsReadWhole()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MaxRequestBodySize = null;
        server.Listen(async request =>
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer)) > 0)
            {
                total += read;
            }

            request.Response.Write(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        var chunk = Encoding.ASCII.GetBytes($"{1_000_003:x}\r\n{new string('b', 1_000_003)}\r\n");
        for (var i = 0; i < 40; i++)
        {
            await connection.SendAsync(chunk);
        }

        await connection.SendAsync("0\r\n\r\n");
        var answer = await connection.ReadResponseAsync();

        Assert.Equal(200, answer.Status);
        Assert.Equal("40000120", answer.Text);
    }
}
