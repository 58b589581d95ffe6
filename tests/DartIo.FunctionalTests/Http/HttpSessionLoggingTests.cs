using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Http;

/// <summary>What the server logs about sessions: an <c>OnTimeout</c> that throws is a warning, and nothing stops.</summary>
[Collection(GlobalLoggingCollection.Name)]
public sealed class HttpSessionLoggingTests
{
    [Fact]
    public async Task OnTimeout_Throws_IsLoggedAsAWarningAndTheOtherSessionsStillEnd()
    {
        using var capture = new LogCapture();
        var clock = new ManualTimeProvider();
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.TimeProvider = clock;
        server.SessionTimeout = TimeSpan.FromSeconds(1);
        var secondEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(request =>
        {
            var first = request.QueryParameters.ContainsKey("first");
            request.Session.OnTimeout = first ? () => throw new InvalidOperationException("the application's own failure") : () => secondEnded.TrySetResult();
            return Task.CompletedTask;
        });
        var warned = capture.Logs.WhenLogged(e => e.Event.Id == 250);

        await HttpTesting.SendAsync(server.Port, "GET /?first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        clock.Advance(TimeSpan.FromSeconds(1)); // both due together: the first's failure must not keep the second's from running

        await secondEnded.Task.Within();
        await warned.Within();
        var entry = Assert.Single(capture.Logs.Entries, e => e.Event.Id == 250);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("SessionTimeoutFailed", entry.Event.Name);
        Assert.Empty(capture.Errors);

        var after = await HttpTesting.SendAsync(server.Port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(200, after.Status); // the server goes on
    }
}
