using System.Net;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// <see cref="ServerSocket.InlineCompletions"/>: where the code after an awaited read runs. .NET's socket event
/// thread is named ".NET Sockets"; without inline completions a read that had to wait resumes on the thread pool.
/// </summary>
public class InlineCompletionsTests
{
    private const string EventThread = ".NET Sockets";

    [Fact]
    public async Task InlineCompletions_IsOffByDefault()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();

        Assert.False(server.InlineCompletions);
    }

    [Theory]
    [InlineData(false)] // resumes on the thread pool
    [InlineData(true)]  // resumes on the socket event thread
    public async Task InlineCompletions_DecidesWhereAWaitingReadResumes(bool inline)
    {
        var (thread, pooled, echoed) = await WhereAReadResumesAsync(inline);

        Assert.Equal(inline, thread == EventThread);
        Assert.Equal(!inline, pooled);
        Assert.Equal("ping", echoed);
    }

    [Fact]
    public async Task InlineCompletions_AppliesToConnectionsAcceptedAfterTheChange()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        using var before = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await using var first = (await server.AcceptAsync().Within())!;

        server.InlineCompletions = true;
        using var after = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await using var second = (await server.AcceptAsync().Within())!;

        Assert.NotEqual(EventThread, await ResumeThreadOfPendingReadAsync(first, before));
        Assert.Equal(EventThread, await ResumeThreadOfPendingReadAsync(second, after));
    }

    [Fact]
    public async Task HttpServer_InlineCompletions_ForwardsToItsSocketAndHandlersStayOffTheEventThread()
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.InlineCompletions = true;
        var handlerThreads = new List<string?>();
        server.Listen(request =>
        {
            lock (handlerThreads)
            {
                handlerThreads.Add(Thread.CurrentThread.Name);
            }

            request.Response.Write("hello");
            return Task.CompletedTask;
        });

        using var client = HttpTesting.Client();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("hello", await client.GetStringAsync(HttpTesting.Url(server)).WaitAsync(HttpTesting.Timeout));
        }

        Assert.True(server.InlineCompletions);
        Assert.Equal(3, handlerThreads.Count);
        Assert.DoesNotContain(EventThread, handlerThreads);
    }

    [Fact]
    public async Task HttpServer_InlineCompletions_SetAfterClose_ThrowsHttpException()
    {
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        await server.CloseAsync().Within();

        Assert.Throws<HttpException>(() => server.InlineCompletions = true);
    }

    /// <summary>Accepts one connection, starts a read before the client has sent anything, and echoes what it reads.</summary>
    private static async Task<(string? Thread, bool Pooled, string Echoed)> WhereAReadResumesAsync(bool inline)
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        server.InlineCompletions = inline;
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await using var connection = (await server.AcceptAsync().Within())!;

        string? thread = null;
        var pooled = false;
        var buffer = new byte[16];
        var read = connection.Stream.ReadAsync(buffer);
        Assert.False(read.IsCompleted); // it must wait, or it never reaches the event loop
        var observed = ObserveAsync(read, () => // waiting before the data is sent, so it resumes where the read completes
        {
            thread = Thread.CurrentThread.Name;
            pooled = Thread.CurrentThread.IsThreadPoolThread;
        });
        await client.SendAsync("ping"u8.ToArray());
        var count = await observed.Within();

        await connection.Stream.WriteAsync(buffer.AsMemory(0, count)).AsTask().Within();
        var echoed = new byte[16];
        var received = await client.ReceiveAsync(echoed).Within();
        return (thread, pooled, Encoding.ASCII.GetString(echoed, 0, received));
    }

    private static async Task<string?> ResumeThreadOfPendingReadAsync(SocketConnection connection, System.Net.Sockets.Socket client)
    {
        string? thread = null;
        var read = connection.Stream.ReadAsync(new byte[16]);
        Assert.False(read.IsCompleted);
        var observed = ObserveAsync(read, () => thread = Thread.CurrentThread.Name);
        await client.SendAsync("x"u8.ToArray());
        await observed.Within();
        return thread;
    }

    /// <summary>Runs <paramref name="atResume"/> on whatever thread the read completes on (no context, no hop).</summary>
    private static async Task<int> ObserveAsync(ValueTask<int> read, Action atResume)
    {
        var count = await read.ConfigureAwait(false);
        atResume();
        return count;
    }
}
