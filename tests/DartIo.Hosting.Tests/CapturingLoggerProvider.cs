using DartIo.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace DartIo.Hosting.Tests;

/// <summary>The host's logging, captured into the functional tests' <see cref="CapturingLoggerFactory"/> (entries and waits).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly CapturingLoggerFactory _capture = new();

    public System.Collections.Concurrent.ConcurrentQueue<(string Category, LogLevel Level, EventId Event, string Text)> Entries => _capture.Entries;

    public ILogger CreateLogger(string categoryName) => _capture.CreateLogger(categoryName);

    /// <summary>Completes when the entry of this category and event id is logged (at once if it was).</summary>
    public Task WhenLogged(string category, int eventId) => _capture.WhenLogged(e => e.Category == category && e.Event.Id == eventId);

    public void Dispose()
    {
    }
}
