using System.Text;
using System.Threading.Channels;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Cli;

/// <summary>A writer that hands over each line written to it, for the access log's tests.</summary>
internal sealed class LineWriter : TextWriter
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _open;

    /// <param name="open">
    /// Completes when writes may return; until then the first write waits, as on a pipe that nobody reads (default: at once).
    /// </param>
    public LineWriter(Task? open = null) => _open = open ?? Task.CompletedTask;

    public override Encoding Encoding => Encoding.UTF8;

    public override Task WriteLineAsync(string? value)
    {
        _lines.Writer.TryWrite(value ?? string.Empty);
        return _open;
    }

    public Task<string> NextAsync() => _lines.Reader.ReadAsync().AsTask().Within();

    /// <summary>The lines written so far and not yet taken.</summary>
    public List<string> Rest()
    {
        var rest = new List<string>();
        while (_lines.Reader.TryRead(out var line))
        {
            rest.Add(line);
        }

        return rest;
    }
}
