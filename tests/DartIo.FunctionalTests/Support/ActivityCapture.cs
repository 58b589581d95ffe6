using System.Diagnostics;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// An <see cref="ActivityListener"/> on one ActivitySource that samples everything and keeps the Activities that
/// stopped with <c>server.port</c> equal to the test server's, so that other servers of the process do not count.
/// Global, as meters are: tests that use it run in the <see cref="MetricsCollection"/>.
/// </summary>
internal sealed class ActivityCapture : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly Lock _gate = new();
    private readonly List<Activity> _stopped = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public ActivityCapture(string sourceName, int port)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("server.port") is int number && number == port)
                {
                    lock (_gate)
                    {
                        _stopped.Add(activity);
                        foreach (var waiter in _waiters.Where(w => _stopped.Count >= w.Count).ToList())
                        {
                            _waiters.Remove(waiter);
                            waiter.Done.TrySetResult();
                        }
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The Activities stopped so far.</summary>
    public IReadOnlyList<Activity> Stopped
    {
        get
        {
            lock (_gate)
            {
                return [.. _stopped];
            }
        }
    }

    /// <summary>Completes when <paramref name="count"/> Activities have stopped; fails after <see cref="Wait.Long"/>.</summary>
    public Task WhenStoppedAsync(int count = 1)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stopped.Count >= count)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((count, done));
        }

        return done.Task.Within();
    }

    public void Dispose() => _listener.Dispose();
}
