using System.Diagnostics;

namespace DartIo.Tests.Tls;

/// <summary>Runs the built <c>dartio</c> tool to completion, with extra environment variables, and collects its output.</summary>
internal static class DartioRun
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] args, IDictionary<string, string>? environment = null)
    {
        using var process = Process.Start(DartIo.FunctionalTests.Support.DartioProcess.CreateStartInfo(args, environment))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Whether a program is on PATH (for the tests that drive Debian's tools).</summary>
    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, program)));
}

/// <summary>A fact that is skipped, visibly and with the reason, when the NSS tools (Debian's libnss3-tools) are not installed.</summary>
public sealed class NssToolsFactAttribute : FactAttribute
{
    public NssToolsFactAttribute()
    {
        if (!DartioRun.OnPath("certutil") || !DartioRun.OnPath("pk12util"))
        {
            Skip = "needs certutil and pk12util (Debian: libnss3-tools; scripts/test.sh installs it)";
        }
    }
}
