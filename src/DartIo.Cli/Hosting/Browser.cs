using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace DartIo.Cli.Hosting;

/// <summary>
/// Opens a URL in the user's browser for <c>serve --open</c>: <c>$BROWSER</c> when set (as Python's webbrowser reads it:
/// the first of a ':'-separated list; with <c>%s</c>, which stands for the URL, split into words as a shell would,
/// quotes and all; else the whole of it is the program, and the URL its argument), else
/// <c>xdg-open</c> (<c>open</c> on macOS, the shell on Windows). A browser that cannot be started is a warning on
/// stderr, never an error: the server goes on.
/// </summary>
internal static class Browser
{
    /// <summary>Starts the browser and completes when its launcher exits or <paramref name="stopping"/> is cancelled; never throws.</summary>
    /// <param name="url">The URL to open.</param>
    /// <param name="error">Where a warning goes.</param>
    /// <param name="stopping">Stops the wait for the launcher (a browser run directly may stay open for long).</param>
    public static async Task OpenAsync(string url, TextWriter error, CancellationToken stopping)
    {
        var (program, arguments) = Command(url, Environment.GetEnvironmentVariable("BROWSER"));
        Process? process;
        try
        {
            process = Process.Start(StartInfo(program, arguments));
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            await WarnAsync(error, url, $"{program}: {ex.Message}").ConfigureAwait(false);
            return;
        }

        if (process is null)
        {
            return; // handed to a running program by the shell (Windows)
        }

        using (process)
        {
            if (!OperatingSystem.IsWindows())
            {
                process.StandardInput.Close(); // never a prompt on the server's terminal
            }

            try
            {
                await process.WaitForExitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // the server is stopping; the browser stays
            }

            if (process.ExitCode != 0)
            {
                // 127: sh found no such program (its own message is on stderr just before).
                await WarnAsync(error, url, $"{program} exited with code {process.ExitCode}").ConfigureAwait(false);
            }
        }
    }

    /// <summary>The program and arguments that open a URL, given <c>$BROWSER</c> (null or empty: the system's opener).</summary>
    internal static (string Program, IReadOnlyList<string> Arguments) Command(string url, string? browser)
    {
        var command = (browser ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (command is null)
        {
            return (OperatingSystem.IsWindows() ? url : OperatingSystem.IsMacOS() ? "open" : "xdg-open", OperatingSystem.IsWindows() ? [] : [url]);
        }

        if (!command.Contains("%s", StringComparison.Ordinal))
        {
            return (command, [url]); // a program's path, spaces and all
        }

        var words = Words(command);
        return (words[0], words.Skip(1).Select(w => w.Replace("%s", url, StringComparison.Ordinal)).ToArray());
    }

    /// <summary>
    /// A command line's words as Python's <c>shlex.split</c> makes them (what its webbrowser does with a <c>$BROWSER</c>
    /// that holds <c>%s</c>): split at blanks, <c>'…'</c> taken as it is, <c>"…"</c> with <c>\"</c> and <c>\\</c> escaped,
    /// <c>\</c> escaping any character outside quotes; a quote left open runs to the end. Only words: nothing is
    /// expanded, and no shell ever reads them (<c>$(…)</c>, <c>;</c> and <c>|</c> are characters of a word).
    /// </summary>
    /// <param name="text">The command line; it has at least one character that is not a blank.</param>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                end = end < 0 ? text.Length : end;
                word.Append(text, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                    {
                        i++;
                    }

                    word.Append(text[i]);
                }
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                word.Append(text[++i]);
            }
            else
            {
                word.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>
    /// On Unix, through <c>sh</c> with the program's stdout sent to stderr, so that nothing it prints mixes with the
    /// server's URLs and no pipe of ours is held open by a browser it leaves running; on Windows, through the shell.
    /// </summary>
    private static ProcessStartInfo StartInfo(string program, IReadOnlyList<string> arguments)
    {
        if (OperatingSystem.IsWindows())
        {
            var shell = new ProcessStartInfo(program) { UseShellExecute = true };
            foreach (var argument in arguments)
            {
                shell.ArgumentList.Add(argument);
            }

            return shell;
        }

        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in (string[])["-c", "exec \"$@\" >&2", "dartio-browser", program, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static Task WarnAsync(TextWriter error, string url, string reason) =>
        error.WriteLineAsync($"dartio: warning: could not open a browser on {url} ({reason})");
}
