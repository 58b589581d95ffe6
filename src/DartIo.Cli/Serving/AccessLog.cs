using System.Buffers;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace DartIo.Cli.Serving;

/// <summary>
/// One line per request on stderr, in the Common Log Format, written by a background loop so that a request never
/// waits for the terminal.
/// </summary>
internal sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TextWriter _output;
    private readonly Task _writing;

    public AccessLog(TextWriter output)
    {
        _output = output;
        _writing = WriteLoopAsync();
    }

    /// <summary>Logs a served request: <c>remote - - [time] "METHOD target HTTP/v" status bytes</c>.</summary>
    /// <param name="request">The request; its target is logged as sent.</param>
    /// <param name="status">The status answered.</param>
    /// <param name="bytes">
    /// The body bytes sent (<c>-</c> for none). For a transfer the client cut short, what the connection accepted before
    /// it went: at least what the client received, at most that plus what the server's and the kernel's send buffers held.
    /// </param>
    public void Add(HttpRequest request, int status, long bytes)
    {
        var remote = request.ConnectionInfo?.RemoteAddress.Address ?? "-";
        var time = DateTime.UtcNow.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        var size = bytes > 0 ? bytes.ToString(CultureInfo.InvariantCulture) : "-";
        _lines.Writer.TryWrite($"{remote} - - [{time}] \"{Escape(request.Method)} {Escape(request.Uri.OriginalString)} HTTP/{request.ProtocolVersion}\" {status} {size}");
    }

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
            }

            await _output.FlushAsync().ConfigureAwait(false);
        }
    }
}
