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

    /// <summary>
    /// What a client sent, safe for a terminal and a log parser: control characters, <c>"</c> and <c>\</c> as
    /// <c>\xHH</c>, as nginx writes them (an HTTP/2 <c>:path</c> may carry ESC sequences that would recolour or
    /// rewrite the operator's screen).
    /// </summary>
    internal static string Escape(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\0', '\x1F') && !text.AsSpan().ContainsAny("\"\\\x7F"))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c is < ' ' or '"' or '\\' or '\x7F')
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
