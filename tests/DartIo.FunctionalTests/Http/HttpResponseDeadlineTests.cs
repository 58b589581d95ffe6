using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary><c>HttpResponse.Deadline</c> (Dart's <c>deadline</c>), on a manual clock.</summary>
public sealed class HttpResponseDeadlineTests
{
    [Fact]
    public async Task Deadline_Passes_AbortsTheConnectionAndFailsDone()
    {
        var clock = new ManualTimeProvider();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.TimeProvider = clock;
        var timerCreated = clock.NextTimerCreated;
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            var response = request.Response;
            response.ContentLength = 1000;
            response.Deadline = TimeSpan.FromSeconds(1);
            await response.AddAsync(Encoding.ASCII.GetBytes("partial"));
            await response.FlushAsync();
            try
            {
                await response.Done;
                outcome.TrySetResult(null);
            }
            catch (Exception ex)
            {
                outcome.TrySetResult(ex);
            }
        });

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).Within();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).Within();
        var received = new StringBuilder();
        while (!received.ToString().Contains("partial", StringComparison.Ordinal))
        {
            received.Append(await ReceiveTextAsync(client));
        }

        await timerCreated.Within();
        Assert.False(outcome.Task.IsCompleted); // nothing ends it but the deadline
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.IsType<HttpException>(await outcome.Task.Within());
        while (await ReceiveTextAsync(client) is { Length: > 0 })
        {
            // the rest of what was sent, then the end: closed 993 bytes short of its Content-Length
        }
    }

    [Fact]
    public async Task Deadline_SetToNullBeforeItPasses_LetsTheResponseFinish()
    {
        var clock = new ManualTimeProvider();
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.TimeProvider = clock;
        var timerCreated = clock.NextTimerCreated;
        var cleared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            var response = request.Response;
            response.Deadline = TimeSpan.FromSeconds(1);
            await timerCreated;
            response.Deadline = null;
            Assert.Null(response.Deadline);
            cleared.TrySetResult();
            await finish.Task;
            response.Write("whole");
            await response.CloseAsync();
        });

        var answer = HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await cleared.Task.Within();
        clock.Advance(TimeSpan.FromSeconds(5));
        finish.TrySetResult();

        var response = await answer.Within();
        Assert.Equal((200, "whole"), (response.Status, response.Text));
    }

    [Fact]
    public async Task Deadline_Negative_IsRefused()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        var refused = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            refused.TrySetResult(Record.Exception(() => request.Response.Deadline = TimeSpan.FromSeconds(-1)));
            await request.Response.CloseAsync();
        });

        await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").Within();

        Assert.IsType<ArgumentOutOfRangeException>(await refused.Task.Within());
    }

    private static async Task<string> ReceiveTextAsync(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            var read = await client.ReceiveAsync(buffer).Within();
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (SocketException)
        {
            return ""; // a reset ends it too
        }
    }
}
