using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// Client loops that open a connection per exchange against one port, send a whole request and read the answer to the
/// end, counting the exchanges answered and the connections the server closed without an answer (it accepted them,
/// they sent a full request, and they read the end of the stream or a reset before any answer): what a server that
/// loses accepted connections when one of its sharers closes shows (SPEC 7).
/// </summary>
internal sealed class ClosingLoad
{
    private readonly int _port;
    private readonly byte[] _request;
    private readonly Func<string, bool> _isAnswer;
    private readonly bool _halfClose;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<string> _failures = [];
    private readonly SortedList<int, TaskCompletionSource> _milestones = [];
    private Task _loops = Task.CompletedTask;
    private int _answered;

    /// <param name="port">The port on loopback.</param>
    /// <param name="request">The whole request, after which the client ends its sending side.</param>
    /// <param name="isAnswer">Whether what the client read until the end is an answer.</param>
    /// <param name="halfClose">True to end the sending side after the request (an echo needs it); false to wait for the server's close.</param>
    public ClosingLoad(int port, string request, Func<string, bool> isAnswer, bool halfClose)
    {
        _halfClose = halfClose;
        _port = port;
        _request = Encoding.ASCII.GetBytes(request);
        _isAnswer = isAnswer;
    }

    public int Answered => Volatile.Read(ref _answered);

    /// <summary>What went wrong, one line per connection: "unanswered ..." for those closed without an answer.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public void Start(int clients) =>
        _loops = Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(ClientLoopAsync)));

    /// <summary>Completes once <paramref name="count"/> exchanges have been answered in all.</summary>
    public Task WhenAnswered(int count)
    {
        lock (_gate)
        {
            if (_answered >= count)
            {
                return Task.CompletedTask;
            }

            if (!_milestones.TryGetValue(count, out var milestone))
            {
                milestone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _milestones.Add(count, milestone);
            }

            return milestone.Task;
        }
    }

    /// <summary>Lets each loop finish its exchange in progress, then ends them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loops.Within();
        _stop.Dispose();
    }

    private async Task ClientLoopAsync()
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port)).WaitAsync(Wait.Long);
            }
            catch (SocketException ex)
            {
                Fail($"connect failed: {ex.SocketErrorCode}");
                continue;
            }

            var received = new StringBuilder();
            string? error = null;
            try
            {
                await socket.SendAsync(_request.AsMemory()).AsTask().WaitAsync(Wait.Long);
                if (_halfClose)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }

                int read;
                while ((read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Wait.Long)) > 0)
                {
                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
            catch (SocketException ex)
            {
                error = ex.SocketErrorCode.ToString();
            }

            var text = received.ToString();
            if (_isAnswer(text))
            {
                Answer();
            }
            else
            {
                Fail($"{(text.Length == 0 ? "unanswered" : "bad answer")} ({error ?? "end of stream"}, local port {((IPEndPoint)socket.LocalEndPoint!).Port}): {text}");
            }
        }
    }

    private void Answer()
    {
        List<TaskCompletionSource> reached = [];
        lock (_gate)
        {
            _answered++;
            while (_milestones.Count > 0 && _milestones.Keys[0] <= _answered)
            {
                reached.Add(_milestones.Values[0]);
                _milestones.RemoveAt(0);
            }
        }

        reached.ForEach(milestone => milestone.TrySetResult());
    }

    private void Fail(string failure)
    {
        lock (_gate)
        {
            _failures.Add(failure);
        }
    }
}
