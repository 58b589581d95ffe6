using System.Diagnostics;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// Runs the tool as a user that file permissions apply to: as it is when the tests are not root, else as <c>nobody</c>
/// (uid and gid 65534) through <c>setpriv</c>, since root reads whatever it likes.
/// </summary>
internal static class Unprivileged
{
    private const string Nobody = "65534";

    private static readonly string[] s_launcher = ["setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups"];

    /// <summary>Why the tool cannot be run so here, or null when it can.</summary>
    public static string? Unavailable { get; } = FindWhyUnavailable();

    /// <summary>Starts the tool with these arguments as a user that file permissions apply to.</summary>
    public static DartioProcess Start(params string[] args) =>
        Environment.IsPrivilegedProcess ? DartioProcess.StartThrough(s_launcher, args) : DartioProcess.Start(args);

    private static string? FindWhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux (setpriv, Unix permissions)";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return null;
        }

        if (!DartioRun.OnPath("setpriv"))
        {
            return "needs setpriv (util-linux) to run the tool as nobody: the tests run as root";
        }

        // The tool must be reachable by nobody: the checkout may lie under a folder only root may enter (/root).
        var tool = DartioProcess.CreateStartInfo([]);
        var check = new ProcessStartInfo(s_launcher[0]) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in (string[])[.. s_launcher[1..], "/bin/sh", "-c", "test -x \"$1\" && { [ -z \"$2\" ] || test -r \"$2\"; }", "sh",
            ProgramPath(tool.FileName), tool.ArgumentList.FirstOrDefault() ?? ""])
        {
            check.ArgumentList.Add(arg);
        }

        using var process = Process.Start(check)!;
        process.WaitForExit(10_000);
        return process.HasExited && process.ExitCode == 0
            ? null
            : $"the tool ({tool.FileName} {string.Join(' ', tool.ArgumentList)}) cannot be run as nobody from where it is built";
    }

    private static string ProgramPath(string program) =>
        Path.IsPathRooted(program) ? program
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists) ?? program;
}

/// <summary>A fact that runs the tool as a user file permissions apply to; skipped, visibly and with the reason, where it cannot.</summary>
internal sealed class UnprivilegedFactAttribute : FactAttribute
{
    public UnprivilegedFactAttribute() => Skip = Unprivileged.Unavailable;
}
