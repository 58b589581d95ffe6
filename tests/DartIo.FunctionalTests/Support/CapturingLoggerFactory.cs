using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Support;

/// <summary>Collects every log entry (level, event, text) for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId Event, string Text)> Entries { get; } = new();

    private readonly List<(Func<(string Category, LogLevel Level, EventId Event, string Text), bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes when an entry that matches is logged (at once if one was).</summary>
    public Task WhenLogged(Func<(string Category, LogLevel Level, EventId Event, string Text), bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Entries.Any(match))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((match, seen));
        }

        return seen.Task;
    }

    private void Add((string Category, LogLevel Level, EventId Event, string Text) entry)
    {
        lock (_waiters)
        {
            Entries.Enqueue(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add((category, logLevel, eventId, formatter(state, exception)));
    }
}
