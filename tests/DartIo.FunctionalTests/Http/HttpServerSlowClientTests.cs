using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Http;

/// <summary>Issue 9, defect 10: a client that stops reading is closed, and holds little of the server's memory meanwhile.</summary>
public sealed class HttpServerSlowClientTests
{
    [Fact]
    public async Task MinResponseDataRate_ClientStopsReading_ClosedWithLittleQueued()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();
        server.MinResponseDataRate = 1 << 20; // any rate fails a client that reads nothing; a high one needs no long wait
        server.MinResponseDataRateGracePeriod = TimeSpan.FromSeconds(2);
        var handedOver = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(async request =>
        {
            var response = request.Response;
            response.ContentLength = 1L << 30;
            var done = response.Done; // ends, with an error, when the server gives up on the connection
            var chunk = new byte[16 << 10];
            long sent = 0;
            while (!done.IsCompleted && sent < response.ContentLength)
            {
                await response.AddAsync(chunk);
                sent += chunk.Length;
            }

            handedOver.TrySetResult(sent);
        });

        // A receive window of a few KiB that is never read: the server's writes stall at once.
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).Within();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")).Within();

        // Closed after the rate's grace period. Before the send queue was bounded, the kernel took ~3 MiB first.
        var sent = await handedOver.Task.Within();
        Assert.InRange(sent, 1, 512 << 10);
    }

    [Fact]
    public async Task MinResponseDataRate_Set_RejectsZeroAndAcceptsNull()
    {
        await using var server = await HttpServer.BindAsync("127.0.0.1", 0).Within();

        Assert.Equal(4096, server.MinResponseDataRate);
        Assert.Equal(TimeSpan.FromSeconds(30), server.MinResponseDataRateGracePeriod);
        Assert.Throws<ArgumentOutOfRangeException>(() => server.MinResponseDataRateGracePeriod = TimeSpan.FromSeconds(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => server.MinResponseDataRate = 0);
        server.MinResponseDataRate = null;
        Assert.Null(server.MinResponseDataRate);
    }
}
