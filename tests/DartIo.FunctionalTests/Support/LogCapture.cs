using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// Points <see cref="DartIoLogging.LoggerFactory"/> at a <see cref="CapturingLoggerFactory"/> until disposed. The factory
/// is process-wide, so tests that use this belong to <see cref="GlobalLoggingCollection"/>: nothing else runs meanwhile.
/// </summary>
internal sealed class LogCapture : IDisposable
{
    private readonly ILoggerFactory _previous = DartIoLogging.LoggerFactory;

    public LogCapture() => DartIoLogging.LoggerFactory = Logs;

    public CapturingLoggerFactory Logs { get; } = new();

    /// <summary>The entries at Error or Critical, as text, for an assertion message.</summary>
    public IReadOnlyList<string> Errors =>
        [.. Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Level} {e.Category} [{e.Event}] {e.Text}")];

    public void Dispose() => DartIoLogging.LoggerFactory = _previous;
}

/// <summary>Tests that swap the process-wide logger factory: they run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalLoggingCollection
{
    public const string Name = "Global logging";
}
