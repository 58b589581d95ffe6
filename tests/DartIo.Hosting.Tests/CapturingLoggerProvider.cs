using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DartIo.Hosting.Tests;

/// <summary>The host's logging, captured: every entry with its category, level and event, and a way to wait for one.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Completes when an entry that matches is logged (at once if one was).</summary>
    public Task WhenLogged(Func<LogEntry, bool> match)
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

    /// <summary>Completes when the entry of this category and event id is logged.</summary>
    public Task WhenLogged(string category, int eventId) => WhenLogged(e => e.Category == category && e.Event.Id == eventId);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
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

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception)));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, EventId Event, string Text);
