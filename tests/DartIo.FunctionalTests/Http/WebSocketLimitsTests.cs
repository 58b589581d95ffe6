using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;

namespace DartIo.FunctionalTests.Http;

/// <summary>What a server-side WebSocket tolerates: the maximum message size and silent clients (SPEC 12).</summary>
public sealed class WebSocketLimitsTests
{
    private const int ReceiveBuffer = 64 * 1024;

    /// <summary>Short, so that a silent client is gone within a second (.NET checks the clock every quarter timeout).</summary>
    private static readonly TimeSpan s_shortIdle = TimeSpan.FromMilliseconds(200);

    /// <summary>1000 MiB of zeros, deflated as permessage-deflate sends it: about 1 MiB.</summary>
    private static readonly Lazy<byte[]> s_bomb = new(() =>
    {
        using var compressed = new MemoryStream();
        var deflate = new DeflateStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true);
        var zeros = new byte[1024 * 1024];
        for (var i = 0; i < 1000; i++)
        {
            deflate.Write(zeros);
        }

        deflate.Flush(); // a sync flush, ending in 00 00 FF FF, which a permessage-deflate frame leaves off
        var bytes = compressed.ToArray();
        Assert.Equal([0x00, 0x00, 0xFF, 0xFF], bytes[^4..]);
        return bytes[..^4];
    });

    /// <summary>
    /// A server whose handler upgrades (with <paramref name="options"/>, or the old overload when null), then receives:
    /// counts binary bytes, echoes text messages, answers a close. The task ends with the receive loop's failure (null
    /// after a close) and the bytes the application got. With <paramref name="receive"/> false it never receives.
    /// </summary>
    private static async Task<(HttpServer Server, Task<(Exception? Failure, long Received)> Ended)> ServeAsync(
        WebSocketUpgradeOptions? options, TimeSpan? serverIdleTimeout = null, Task? receiveNever = null)
    {
        var ended = new TaskCompletionSource<(Exception?, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        if (serverIdleTimeout is { } idle)
        {
            server.IdleTimeout = idle;
        }

        server.Listen(async request =>
        {
            using var socket = options is null ? await WebSocketTransformer.UpgradeAsync(request) : await WebSocketTransformer.UpgradeAsync(request, options);
            if (receiveNever is not null)
            {
                await receiveNever;
                return;
            }

            long received = 0;
            var buffer = new byte[ReceiveBuffer];
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        ended.TrySetResult((null, received));
                        return;
                    }

                    received += result.Count;
                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, result.Count), WebSocketMessageType.Text, result.EndOfMessage, CancellationToken.None);
                    }
                }
            }
            catch (Exception ex)
            {
                ended.TrySetResult((ex, received));
            }
        });
        return (server, ended.Task);
    }

    /// <summary>Reads frames, answering each ping with its pong, until a data frame: its text.</summary>
    private static async Task<string> ReadTextAnsweringPingsAsync(RawWebSocket client)
    {
        while (await client.ReadFrameAsync().WaitAsync(HttpTesting.Timeout) is { } frame)
        {
            if (frame.Opcode == RawWebSocket.Ping)
            {
                await client.SendFrameAsync(RawWebSocket.Pong, frame.Payload);
            }
            else
            {
                Assert.Equal(RawWebSocket.Text, frame.Opcode);
                return Encoding.UTF8.GetString(frame.Payload);
            }
        }

        throw new EndOfStreamException("The server closed the connection.");
    }

    /// <summary>Answers <paramref name="count"/> pings, each with its pong; fails if the server closes instead.</summary>
    private static async Task AnswerPingsAsync(RawWebSocket client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var frame = await client.ReadFrameAsync().WaitAsync(HttpTesting.Timeout);
            Assert.True(frame is not null, $"the server closed the connection after {i} answered pings");
            Assert.True(frame.Value.Opcode == RawWebSocket.Ping, $"frame {frame.Value.Opcode} ({Encoding.UTF8.GetString(frame.Value.Payload)}) after {i} answered pings");
            await client.SendFrameAsync(RawWebSocket.Pong, frame.Value.Payload);
        }
    }

    [Fact]
    public async Task UpgradeAsync_MessageOverTheDefaultMaximum_ClosesWith1009()
    {
        var (server, ended) = await ServeAsync(options: null);
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port);

        var closing = client.ReadCloseStatusAsync();
        var sending = client.SendFrameAsync(RawWebSocket.Binary, new byte[WebSocketUpgradeOptions.DefaultMaxMessageSize + 1]);
        var status = await closing.WaitAsync(HttpTesting.Timeout);
        await Record.ExceptionAsync(() => sending.WaitAsync(HttpTesting.Timeout)); // the server may stop reading first
        var (failure, received) = await ended.WaitAsync(HttpTesting.Timeout);

        Assert.Equal((int)WebSocketCloseStatus.MessageTooBig, status);
        Assert.IsType<WebSocketException>(failure);
        Assert.InRange(received, 0, WebSocketUpgradeOptions.DefaultMaxMessageSize);
    }

    [Fact]
    public async Task UpgradeAsync_MessagesUpToTheMaximum_AreTakenAndCountedEachOnItsOwn()
    {
        var (server, ended) = await ServeAsync(new WebSocketUpgradeOptions { MaxMessageSize = 1000 });
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port);

        for (var i = 0; i < 3; i++)
        {
            await client.SendFrameAsync(RawWebSocket.Binary, new byte[1000]);
        }

        await client.SendFrameAsync(RawWebSocket.Text, "after 3000 bytes"u8.ToArray());
        var echoed = await ReadTextAnsweringPingsAsync(client);
        await client.SendFrameAsync(RawWebSocket.Binary, new byte[1001]);
        var status = await client.ReadCloseStatusAsync().WaitAsync(HttpTesting.Timeout);

        Assert.Equal("after 3000 bytes", echoed);
        Assert.Equal((int)WebSocketCloseStatus.MessageTooBig, status);
        Assert.IsType<WebSocketException>((await ended.WaitAsync(HttpTesting.Timeout)).Failure);
    }

    [Fact]
    public async Task UpgradeAsync_DeflateBomb_ClosesWith1009WithoutInflatingIt()
    {
        var bomb = s_bomb.Value;
        var (server, ended) = await ServeAsync(options: null);
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port, "permessage-deflate");
        Assert.StartsWith("permessage-deflate", client.Extensions, StringComparison.Ordinal);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var closing = client.ReadCloseStatusAsync();
        var sending = client.SendFrameAsync(RawWebSocket.Binary, bomb, compressed: true);
        var status = await closing.WaitAsync(HttpTesting.Timeout);
        await Record.ExceptionAsync(() => sending.WaitAsync(HttpTesting.Timeout));
        var (failure, received) = await ended.WaitAsync(HttpTesting.Timeout);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal((int)WebSocketCloseStatus.MessageTooBig, status);
        Assert.IsType<WebSocketException>(failure);
        Assert.InRange(received, 0, WebSocketUpgradeOptions.DefaultMaxMessageSize);
        Assert.InRange(allocated, 0, 200L * 1024 * 1024); // the whole message would be 1000 MiB (other tests allocate too)
    }

    [Fact]
    public async Task UpgradeAsync_FrameHeaderThenSilence_ClosedAfterTheIdleTimeout()
    {
        var (server, ended) = await ServeAsync(new WebSocketUpgradeOptions { IdleTimeout = s_shortIdle });
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port);

        await client.SendHeaderAsync(100L * 1024 * 1024);
        var seen = await client.ReadUntilClosedAsync().WaitAsync(HttpTesting.Timeout);
        var (failure, received) = await ended.WaitAsync(HttpTesting.Timeout);

        Assert.Contains(RawWebSocket.Ping, seen);
        Assert.IsType<WebSocketException>(failure);
        Assert.Equal(0, received);
    }

    [Fact]
    public async Task UpgradeAsync_SilentClient_IsPingedThenClosedAfterTheServersIdleTimeout()
    {
        var (server, ended) = await ServeAsync(options: null, serverIdleTimeout: s_shortIdle);
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port);

        var seen = await client.ReadUntilClosedAsync().WaitAsync(HttpTesting.Timeout);

        Assert.Equal([RawWebSocket.Ping], seen);
        Assert.IsType<WebSocketException>((await ended.WaitAsync(HttpTesting.Timeout)).Failure);
    }

    [Fact]
    public async Task UpgradeAsync_ClientAnsweringPings_IsKept()
    {
        // Long enough for a loaded machine to get each pong through in time; each ping is a timeout of silence apart.
        var (server, ended) = await ServeAsync(new WebSocketUpgradeOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var _ = server;
        using var client = await RawWebSocket.ConnectAsync(server.Port);

        await AnswerPingsAsync(client, 3);
        await client.SendFrameAsync(RawWebSocket.Text, "still here"u8.ToArray());
        var echoed = await ReadTextAnsweringPingsAsync(client);

        Assert.Equal("still here", echoed);
        Assert.False(ended.IsCompleted);
    }

    [Fact]
    public async Task UpgradeAsync_ApplicationNotReceiving_ClosedAfterTheIdleTimeoutEvenIfTheClientAnswers()
    {
        // .NET reads the pong only in a ReceiveAsync: a WebSocket that the application never reads from is let go.
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, _) = await ServeAsync(new WebSocketUpgradeOptions { IdleTimeout = s_shortIdle }, receiveNever: finished.Task);
        await using var __ = server;
        try
        {
            using var client = await RawWebSocket.ConnectAsync(server.Port);

            var pings = 0;
            while (await client.ReadFrameAsync().WaitAsync(HttpTesting.Timeout) is { } frame)
            {
                Assert.Equal(RawWebSocket.Ping, frame.Opcode);
                await client.SendFrameAsync(RawWebSocket.Pong, frame.Payload);
                pings++;
            }

            Assert.Equal(1, pings);
        }
        finally
        {
            finished.TrySetResult();
        }
    }
}
