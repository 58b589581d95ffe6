using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DartIo.Hosting.Tests;

/// <summary>
/// samples/HostedServer run as a process, as `dotnet run` would run it: bound from its appsettings.json (the port
/// overridden to 0 on the command line), logging through the host's console logger, stopped by SIGINT (Ctrl+C).
/// </summary>
public sealed partial class SampleProcessTests
{
    [GeneratedRegex(@"DartIo HTTP server 'web' listening on http://([^:\s]+):(\d+)")]
    private static partial Regex Listening();

    [Fact]
    public async Task Sample_RequestThenSigint_ServesFromItsSettingsAndExitsGracefullyWithZero()
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // appsettings.json is found beside the program, not in the working folder
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "HostedServer.dll"));
        info.ArgumentList.Add("--DartIo:web:Port=0");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        using var process = Process.Start(info)!;
        var output = new List<string>();
        var listening = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(e.Data);
            }

            if (Listening().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(match);
            }

            if (e.Data.Contains("'web' stopped gracefully", StringComparison.Ordinal))
            {
                stopped.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var match = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var port = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(8080, port); // the command line's 0 won over appsettings.json's 8080
            Assert.Equal("127.0.0.1", match.Groups[1].Value); // appsettings.json's localhost

            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TestHost.Timeout };
            using var response = await client.GetAsync($"http://127.0.0.1:{port}/");
            var text = await response.Content.ReadAsStringAsync();

            Assert.StartsWith("Hello from DartIo.Hosting", text, StringComparison.Ordinal);
            Assert.Equal("DartIo.Hosting sample", response.Headers.Server.ToString()); // appsettings.json's ServerHeader

            Assert.Equal(0, Kill(process.Id, 2)); // SIGINT, as Ctrl+C
            await process.WaitForExitAsync().WaitAsync(TestHost.Timeout);
            await stopped.Task.WaitAsync(TestHost.Timeout);
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", await errors.WaitAsync(TestHost.Timeout));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
