using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace DartIo.Cli.Serving;

/// <summary>
/// One line per request on stderr, in the Combined Log Format with the duration appended, or as one JSON object, written
/// by a background loop so that a request never waits for the terminal.
/// </summary>
/// <remarks>
/// What waits to be written is bounded (<see cref="MaxPendingChars"/>): when stderr takes lines more slowly than
/// requests come (a pipe nobody reads, a paused terminal, a slow disk), the lines beyond it are dropped and counted, and
/// the count is said in one line as soon as stderr takes lines again. Unbounded, the backlog was the server's memory:
/// one client sending requests with 8 KB headers to a server whose stderr was a full pipe grew it by 1.7 GB in 20 s.
/// </remarks>
internal sealed class AccessLog : IAsyncDisposable
{
    /// <summary>The characters of the lines waiting for stderr at most (2 MB): thousands of ordinary lines, a few dozen of the longest.</summary>
    internal const int MaxPendingChars = 1 << 20;

    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TextWriter _output;
    private readonly Task _writing;
    private long _pendingChars;
    private long _dropped;

    public AccessLog(TextWriter output)
    {
        _output = output;
        _writing = WriteLoopAsync();
    }

    /// <summary>Logs a served request.</summary>
    /// <remarks>
    /// <see cref="AccessLogFormat.Combined"/>: <c>remote - - [time] "METHOD target HTTP/v" status bytes "referer" "user-agent" ms</c>,
    /// Apache's Combined Log Format (what goaccess and the like read) with the duration in milliseconds appended; every
    /// field the client sent is escaped (<see cref="Escape"/>). <see cref="AccessLogFormat.Json"/>: one object per line
    /// with <c>time</c>, <c>remote</c>, <c>method</c>, <c>target</c>, <c>protocol</c>, <c>status</c>, <c>bytes</c>,
    /// <c>referer</c>, <c>user_agent</c> (null when not sent) and <c>duration_ms</c>; controls and non-ASCII escaped
    /// as JSON does.
    /// </remarks>
    /// <param name="request">The request; its target is logged as sent.</param>
    /// <param name="status">The status answered.</param>
    /// <param name="bytes">
    /// The body bytes sent (<c>-</c> for none in the combined format). For a transfer the client cut short, what the
    /// connection accepted before it went: at least what the client received, at most that plus what the server's and the
    /// kernel's send buffers held. For a body compressed as it was sent, the bytes before compression.
    /// </param>
    /// <param name="started">When the handler took the request (the time logged).</param>
    /// <param name="duration">How long the handler took, to the end of the body.</param>
    /// <param name="format">How to write it.</param>
    public void Add(HttpRequest request, int status, long bytes, DateTimeOffset started, TimeSpan duration, AccessLogFormat format)
    {
        var entry = new Entry(
            request.ConnectionInfo?.RemoteAddress.Address ?? "-",
            request.Method,
            request.Uri.OriginalString,
            "HTTP/" + request.ProtocolVersion,
            status,
            bytes,
            request.Headers["Referer"]?[0],
            request.Headers["User-Agent"]?[0],
            started,
            Math.Round(duration.TotalMilliseconds, 3));
        Enqueue(format == AccessLogFormat.Json ? JsonLine(entry) : CombinedLine(entry));
    }

    /// <summary>Hands a line to the writing loop, or drops and counts it when <see cref="MaxPendingChars"/> are waiting already.</summary>
    private void Enqueue(string line)
    {
        if (Interlocked.Add(ref _pendingChars, line.Length) > MaxPendingChars)
        {
            Interlocked.Add(ref _pendingChars, -line.Length);
            Interlocked.Increment(ref _dropped);
            return;
        }

        _lines.Writer.TryWrite(line);
    }

    private static string CombinedLine(in Entry entry)
    {
        var time = entry.Started.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        var size = entry.Bytes > 0 ? entry.Bytes.ToString(CultureInfo.InvariantCulture) : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"{entry.Remote} - - [{time}] \"{Escape(entry.Method)} {Escape(entry.Target)} {entry.Protocol}\" {entry.Status} {size} "
            + $"\"{Escape(entry.Referer ?? "-")}\" \"{Escape(entry.UserAgent ?? "-")}\" {entry.DurationMs:0.000}");
    }

    /// <summary>One JSON object, written field by field with <see cref="Utf8JsonWriter"/> (no reflection: safe for AOT).</summary>
    private static string JsonLine(in Entry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", entry.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("remote", entry.Remote);
            json.WriteString("method", WellFormed(entry.Method));
            json.WriteString("target", WellFormed(entry.Target));
            json.WriteString("protocol", entry.Protocol);
            json.WriteNumber("status", entry.Status);
            json.WriteNumber("bytes", entry.Bytes);
            json.WriteString("referer", entry.Referer is null ? null : WellFormed(entry.Referer));
            json.WriteString("user_agent", entry.UserAgent is null ? null : WellFormed(entry.UserAgent));
            json.WriteNumber("duration_ms", entry.DurationMs);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The text with any unpaired surrogate as U+FFFD, which Utf8JsonWriter would otherwise refuse with an exception.</summary>
    private static string WellFormed(string text) =>
        text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : text;

    /// <summary>A request as logged.</summary>
    private readonly record struct Entry(
        string Remote, string Method, string Target, string Protocol, int Status, long Bytes, string? Referer, string? UserAgent,
        DateTimeOffset Started, double DurationMs);

    /// <summary>What <see cref="Escape"/> rewrites: the C0 and C1 controls (0x9B is a CSI to a UTF-8 terminal), DEL, '"', '\\'.</summary>
    private static readonly SearchValues<char> s_needsEscape = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c), '"', '\\']);

    /// <summary>
    /// What a client sent, safe for a terminal and a log parser: control characters (C0, DEL and C1), <c>"</c> and <c>\</c> as
    /// <c>\xHH</c>, as nginx writes them (an HTTP/2 <c>:path</c> may carry ESC sequences that would recolour or
    /// rewrite the operator's screen).
    /// </summary>
    internal static string Escape(string text)
    {
        if (!text.AsSpan().ContainsAny(s_needsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c) || c is '"' or '\\')
            {
                escaped.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                await _output.WriteLineAsync(line).ConfigureAwait(false);
                Interlocked.Add(ref _pendingChars, -line.Length);
            }

            await ReportDroppedAsync().ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
        }

        await ReportDroppedAsync().ConfigureAwait(false); // those dropped after the last line written
        await _output.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Says how many lines were dropped since it last said so, if any.</summary>
    private async Task ReportDroppedAsync()
    {
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0)
        {
            await _output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"dartio: warning: {dropped} access log line{(dropped == 1 ? " was" : "s were")} dropped: stderr did not take them as fast as requests came")).ConfigureAwait(false);
        }
    }
}
