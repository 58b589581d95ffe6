using System.Diagnostics;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// The built <c>dartio</c> tool, run as a child process: <c>dotnet DartIo.Cli.dll</c> (copied beside the tests by the
/// project reference), or the executable that <see cref="ToolVariable"/> names (the native AOT binary, for
/// <c>scripts/publish-aot.sh --check</c>).
/// </summary>
internal sealed class DartioProcess : IAsyncDisposable
{
    /// <summary>The environment variable naming a <c>dartio</c> executable to run instead of the framework-dependent build.</summary>
    public const string ToolVariable = "DARTIO_TOOL";

    private readonly Process _process;

    private DartioProcess(Process process) => _process = process;

    public static DartioProcess Start(params string[] args) => new(Process.Start(CreateStartInfo(args))!);

    /// <summary>Starts the tool with extra environment variables.</summary>
    public static DartioProcess Start(IDictionary<string, string> environment, params string[] args) =>
        new(Process.Start(CreateStartInfo(args, environment))!);

    /// <summary>Starts the tool through another program that execs it (e.g. <c>prlimit --nofile=256:256</c>), so <see cref="Id"/> is the tool's.</summary>
    public static DartioProcess StartThrough(IEnumerable<string> launcher, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = CreateStartInfo(args, environment);
        var command = launcher.ToList();
        var tool = new List<string> { info.FileName };
        tool.AddRange(info.ArgumentList);
        info.FileName = command[0];
        info.ArgumentList.Clear();
        foreach (var arg in command.Skip(1).Concat(tool))
        {
            info.ArgumentList.Add(arg);
        }

        return new(Process.Start(info)!);
    }

    /// <summary>The process id (the tool's own when started through a launcher that execs it).</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>How to start the tool with these arguments (and extra environment variables), every stream redirected.</summary>
    public static ProcessStartInfo CreateStartInfo(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var tool = Environment.GetEnvironmentVariable(ToolVariable);
        var info = new ProcessStartInfo(string.IsNullOrEmpty(tool) ? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet" : tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (string.IsNullOrEmpty(tool))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DartIo.Cli.dll"));
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>The next line on stdout.</summary>
    public Task<string?> ReadLineAsync() => _process.StandardOutput.ReadLineAsync().Within();

    /// <summary>
    /// The URL of the tool's first stdout line, its last word: serve's <c>listening on http://HOST:PORT/</c>, echo's
    /// <c>tcp://HOST:PORT</c>; null when the tool exited without one.
    /// </summary>
    public async Task<string?> ReadUrlAsync()
    {
        var line = await ReadLineAsync();
        return line?[(line.LastIndexOf(' ') + 1)..];
    }

    public Task<string> ReadAllErrorAsync() => _process.StandardError.ReadToEndAsync().Within();

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().Within();
        return _process.ExitCode;
    }

    /// <summary>Asks the tool to stop as Ctrl+C would (SIGTERM takes the same path) and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        Assert.Equal(0, Kill(_process.Id, 15));
        return await WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
