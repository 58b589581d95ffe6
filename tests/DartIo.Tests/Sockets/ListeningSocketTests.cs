using System.Net.Sockets;
using DartIo.FunctionalTests.Support;
using DartIo.Internal.Listening;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.Tests.Sockets;

/// <summary>
/// The listening socket's accept loop through its test seam (<see cref="ListeningSocket.ForTests"/>): a scripted
/// accept function and a manual clock, so the back-off, the backlog failures and the fault path need no real time,
/// no descriptor exhaustion and no network (the sockets handed out are never connected).
/// </summary>
public sealed class ListeningSocketTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AcceptLoop_OutOfDescriptors_BacksOffFrom5msDoublingTo1sThenResumes()
    {
        await using var harness = new Harness();
        var sharer = harness.AddSharer();
        var accept = sharer.AcceptAsync(CancellationToken.None).AsTask();
        using var good = NewSocket();
        int[] delays = [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000];

        for (var i = 0; i < delays.Length; i++)
        {
            var delay = TimeSpan.FromMilliseconds(delays[i]);
            var timerCreated = harness.Time.NextTimerCreated;
            harness.Accept.Fail(SocketError.TooManyOpenSockets);
            await timerCreated.WaitAsync(Patience); // the loop is waiting out its back-off
            var logged = harness.Entries(4).Last();
            Assert.Equal(LogLevel.Warning, logged.Level);
            Assert.EndsWith($"trying again in {delay}", logged.Text, StringComparison.Ordinal);
            if (i == delays.Length - 1)
            {
                harness.Accept.Next(good); // waiting in the backlog while the loop backs off
                harness.Time.Advance(delay - TimeSpan.FromMilliseconds(1));
                Assert.False(accept.IsCompleted);
                harness.Time.Advance(TimeSpan.FromMilliseconds(1));
            }
            else
            {
                harness.Time.Advance(delay);
            }
        }

        Assert.Same(good, (await accept.WaitAsync(Patience))!.Socket);
        Assert.Equal(delays.Length, harness.Entries(4).Count);

        // A successful accept starts the next shortage's back-off from the beginning again.
        var next = sharer.AcceptAsync(CancellationToken.None).AsTask();
        var again = harness.Time.NextTimerCreated;
        harness.Accept.Fail(SocketError.NoBufferSpaceAvailable);
        await again.WaitAsync(Patience);
        Assert.EndsWith($"trying again in {TimeSpan.FromMilliseconds(5)}", harness.Entries(4).Last().Text, StringComparison.Ordinal);
        using var after = NewSocket();
        harness.Accept.Next(after);
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Same(after, (await next.WaitAsync(Patience))!.Socket);
    }

    [Theory]
    [InlineData(SocketError.ConnectionAborted)]
    [InlineData(SocketError.ConnectionReset)]
    public async Task AcceptLoop_ConnectionFailedInBacklog_LoggedAndAcceptingGoesOnAtOnce(SocketError error)
    {
        await using var harness = new Harness();
        var accept = harness.AddSharer().AcceptAsync(CancellationToken.None).AsTask();
        using var good = NewSocket();

        harness.Accept.Fail(error);
        harness.Accept.Next(good);

        Assert.Same(good, (await accept.WaitAsync(Patience))!.Socket); // the clock never moved: no back-off
        var logged = Assert.Single(harness.Entries(3));
        Assert.Equal(LogLevel.Debug, logged.Level);
        Assert.Contains(error.ToString(), logged.Text, StringComparison.Ordinal);
        Assert.Empty(harness.Entries(4));
        Assert.Empty(harness.Entries(5));
    }

    [Fact]
    public async Task AcceptLoop_OtherSocketError_EverySharersPendingAndLaterAcceptsFailNamingTheAddress()
    {
        await using var harness = new Harness();
        var first = harness.AddSharer();
        var second = harness.AddSharer();
        var pendingFirst = first.AcceptAsync(CancellationToken.None).AsTask();
        var pendingSecond = second.AcceptAsync(CancellationToken.None).AsTask();

        harness.Accept.Fail(SocketError.InvalidArgument); // EINVAL: the socket is no longer listening

        foreach (var failed in new[]
        {
            await Assert.ThrowsAsync<NetworkException>(() => pendingFirst.WaitAsync(Patience)),
            await Assert.ThrowsAsync<NetworkException>(() => pendingSecond.WaitAsync(Patience)),
            await Assert.ThrowsAsync<NetworkException>(() => first.AcceptAsync(CancellationToken.None).AsTask()),
            await Assert.ThrowsAsync<NetworkException>(() => second.AcceptAsync(CancellationToken.None).AsTask()),
            await Assert.ThrowsAsync<NetworkException>(() => harness.AddSharer().AcceptAsync(CancellationToken.None).AsTask()),
        })
        {
            Assert.StartsWith("Failed to accept a connection", failed.Message, StringComparison.Ordinal);
            Assert.Contains("address = 127.0.0.1, port = 1", failed.Message, StringComparison.Ordinal);
            Assert.Equal(1, failed.Port);
            Assert.Equal(SocketError.InvalidArgument, Assert.IsType<SocketException>(failed.InnerException).SocketErrorCode);
        }

        Assert.Equal(LogLevel.Error, Assert.Single(harness.Entries(5)).Level);
    }

    [Fact]
    public async Task AcceptLoop_AcceptFunctionThrowsSomethingElse_SharersFailInsteadOfWaitingForever()
    {
        await using var harness = new Harness();
        var sharer = harness.AddSharer();
        var pending = sharer.AcceptAsync(CancellationToken.None).AsTask();

        harness.Accept.Throw(new InvalidOperationException("not a socket error"));

        var failed = await Assert.ThrowsAsync<NetworkException>(() => pending.WaitAsync(Patience));
        Assert.Contains("not a socket error", failed.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(failed.InnerException);
        Assert.Equal(LogLevel.Error, Assert.Single(harness.Entries(5)).Level);
    }

    [Fact]
    public async Task Sharer_AtMaxConnections_ConnectionsGoToTheOtherSharerUntilOneIsReleased()
    {
        await using var harness = new Harness();
        var limited = harness.AddSharer(limit: 1);
        var other = harness.AddSharer();
        using var first = NewSocket();
        using var second = NewSocket();
        using var third = NewSocket();

        var held = harness.Deliver(limited.AcceptAsync(CancellationToken.None), first);
        var waiting = limited.AcceptAsync(CancellationToken.None).AsTask(); // asks, but is at its limit
        var toOther = harness.Deliver(other.AcceptAsync(CancellationToken.None), second);

        Assert.Same(first, (await held).Socket);
        Assert.Same(second, (await toOther).Socket); // the limited sharer asked first, yet it was skipped
        Assert.False(waiting.IsCompleted);

        (await held).Release(); // its connection closed: below the limit again
        harness.Accept.Next(third);

        Assert.Same(third, (await waiting.WaitAsync(Patience))!.Socket);
    }

    private static Socket NewSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A listener on the seam with its sharers, its clock and its log; closes the listener when disposed.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CapturingLoggerFactory _logs = new();
        private readonly List<ListeningSocket.Sharer> _sharers = [];

        public Harness() => Listener = ListeningSocket.ForTests(Accept.AcceptAsync, Time, _logs.CreateLogger("DartIo.Sockets"));

        public ScriptedAccept Accept { get; } = new();

        public ManualTimeProvider Time { get; } = new();

        public ListeningSocket Listener { get; }

        public ListeningSocket.Sharer AddSharer(int limit = 0)
        {
            var sharer = Listener.AddSharer(InternetAddress.LoopbackIPv4);
            sharer.Limit = limit;
            _sharers.Add(sharer);
            return sharer;
        }

        /// <summary>Scripts <paramref name="socket"/> as the next accepted one and waits for the accept that gets it.</summary>
        public async Task<AcceptedConnection> Deliver(ValueTask<AcceptedConnection?> accept, Socket socket)
        {
            Accept.Next(socket);
            return (await accept.AsTask().WaitAsync(Patience))!;
        }

        public List<(string Category, LogLevel Level, EventId Event, string Text)> Entries(int eventId) =>
            [.. _logs.Entries.Where(entry => entry.Event.Id == eventId)];

        public async ValueTask DisposeAsync()
        {
            foreach (var sharer in _sharers)
            {
                if (Listener.RemoveSharer(sharer))
                {
                    await Listener.ShutdownAsync().WaitAsync(Patience);
                }
            }
        }
    }
}
