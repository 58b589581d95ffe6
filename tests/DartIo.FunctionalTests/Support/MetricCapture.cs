using System.Diagnostics.Metrics;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// Records the measurements of one meter that belong to one server, told apart by its <c>server.port</c> attribute,
/// so that other servers of the process (other tests) do not count. A <see cref="MeterListener"/> is global: tests
/// that use this run in the <see cref="MetricsCollection"/>, one at a time.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _meterName;
    private readonly int _port;
    private readonly Lock _gate = new();
    private readonly List<Measurement> _measurements = [];
    private readonly List<(Func<MetricCapture, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    /// <param name="meterName">The meter: <c>DartIo</c> or <c>DartIo.Http</c>.</param>
    /// <param name="port">The server's port: only measurements whose <c>server.port</c> is this one are kept.</param>
    public MetricCapture(string meterName, int port)
    {
        _meterName = meterName;
        _port = port;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == _meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Every measurement of <paramref name="instrument"/> so far.</summary>
    public IReadOnlyList<Measurement> Of(string instrument)
    {
        lock (_gate)
        {
            return _measurements.Where(m => m.Instrument == instrument).ToList();
        }
    }

    /// <summary>The sum of <paramref name="instrument"/>'s values whose attributes include all of <paramref name="where"/>.</summary>
    public double Sum(string instrument, params (string Key, object? Value)[] where) =>
        Of(instrument).Where(m => m.Has(where)).Sum(m => m.Value);

    /// <summary>Completes when <paramref name="condition"/> holds (looked at after every measurement); fails after <see cref="Wait.Long"/>.</summary>
    public Task WhenAsync(Func<MetricCapture, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((condition, done));
        }

        Check();
        return done.Task.Within();
    }

    /// <summary>Completes when the sum of <paramref name="instrument"/> (with <paramref name="where"/>) is <paramref name="value"/>.</summary>
    public Task WhenSumAsync(string instrument, double value, params (string Key, object? Value)[] where) =>
        WhenAsync(capture => capture.Sum(instrument, where) == value);

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var attributes = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            attributes[tag.Key] = tag.Value;
        }

        if (!attributes.TryGetValue("server.port", out var port) || port is not int number || number != _port)
        {
            return;
        }

        lock (_gate)
        {
            _measurements.Add(new Measurement(instrument.Name, value, attributes));
        }

        Check();
    }

    private void Check()
    {
        List<(Func<MetricCapture, bool> Condition, TaskCompletionSource Done)> waiters;
        lock (_gate)
        {
            waiters = [.. _waiters];
        }

        foreach (var waiter in waiters.Where(w => w.Condition(this)))
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }

            waiter.Done.TrySetResult();
        }
    }

    /// <summary>One measurement: the instrument, the value and the attributes.</summary>
    internal sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public object? this[string key] => Tags.TryGetValue(key, out var value) ? value : null;

        public bool Has((string Key, object? Value)[] where) =>
            where.All(pair => Tags.TryGetValue(pair.Key, out var value) && Equals(value, pair.Value));
    }
}

/// <summary>Tests that listen to the process-wide meters and ActivitySources: never run beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}
