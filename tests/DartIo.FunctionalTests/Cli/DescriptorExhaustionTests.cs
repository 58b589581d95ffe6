using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// SPEC 7: running out of file descriptors never ends the process and never spins. The tool runs under a hard limit
/// of 256 descriptors and is flooded with 1000 connections held open; without DartIo's descriptor budget the runtime
/// aborts ("Out of memory.", exit 134) as soon as it needs a thread while none are left
/// (docs/notes/descriptor-exhaustion.md).
/// </summary>
public sealed class DescriptorExhaustionTests
{
    internal const int Limit = 256;
    internal const int FloodSize = 1000;

    /// <summary>
    /// How long the flood is held while the tool's CPU time is measured. Without the budget the runtime needs a new
    /// thread within this time (idle pool threads retire after <see cref="ThreadTimeout"/>, and the flood's events
    /// ask for workers), and aborts.
    /// </summary>
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Idle thread-pool workers retire after this (the runtime's default is 20 s), so that the window sees the runtime
    /// start threads while the flood is held, as a long-running server does every 20 s, instead of by luck.
    /// </summary>
    private const string ThreadTimeout = "250";

    /// <summary>
    /// The most CPU time the tool may use during the window: accepting and dispatching what the budget allows of
    /// 1000 connections costs 0.05-0.4 s (measured), an accept loop that spins on EMFILE burns about the whole
    /// window of one core (5 s), and a thread pool retiring and starting workers every quarter second adds little.
    /// </summary>
    private static readonly TimeSpan s_maxCpu = TimeSpan.FromSeconds(2);

    [DescriptorFloodTheory]
    [InlineData("echo")]
    [InlineData("serve")]
    public async Task Tool_FloodUnderLowDescriptorLimit_LivesWithoutSpinningAndServesAfterwards(string command)
    {
        using var folder = new TemporaryDirectory();
        folder.Write("hello.txt", "served after the flood");
        string[] args = command == "serve"
            ? ["serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "2"]
            : ["echo", "--address", "127.0.0.1", "--port", "0", "--workers", "2"];
        await using var tool = DartioProcess.StartThrough(["prlimit", $"--nofile={Limit}:{Limit}"], args,
            new Dictionary<string, string> { ["DOTNET_ThreadPool_ThreadTimeoutMs"] = ThreadTimeout });
        var url = await tool.ReadUrlAsync();
        Assert.NotNull(url);
        var port = int.Parse(url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

        var flood = new List<Socket>(FloodSize);
        try
        {
            var connects = new List<Task>(FloodSize);
            for (var i = 0; i < FloodSize; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                flood.Add(socket);
                connects.Add(socket.ConnectAsync(IPAddress.Loopback, port));
            }

            await Task.WhenAll(connects).Within(); // the kernel completes them: the backlog (somaxconn) holds the rest
            var cpuBefore = CpuTime(tool.Id);

            // A measurement window, not a synchronisation: "never dies, never spins" is a claim about a period of time.
            await Task.Delay(s_window);

            Assert.False(tool.HasExited, $"dartio {command} died during the flood: {await DiedBecauseAsync(tool)}");
            var cpu = CpuTime(tool.Id) - cpuBefore;
            Assert.True(cpu < s_maxCpu, $"dartio {command} used {cpu.TotalSeconds:0.00} s of CPU in a {s_window.TotalSeconds} s flood");
        }
        finally
        {
            flood.ForEach(socket => socket.Dispose());
        }

        try
        {
            if (command == "serve")
            {
                using var client = HttpTesting.Client();
                Assert.Equal("served after the flood", await client.GetStringAsync(url + "hello.txt").Within());
            }
            else
            {
                Assert.Equal("hello", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, port), "hello"));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException && tool.HasExited)
        {
            Assert.Fail($"dartio {command} died when the flood was released: {await DiedBecauseAsync(tool)}");
        }

        Assert.Equal(0, await tool.StopAsync());
    }

    private static async Task<string> DiedBecauseAsync(DartioProcess tool) =>
        tool.HasExited ? $"exit {await tool.WaitForExitAsync()}, {(await tool.ReadAllErrorAsync()).Trim()}" : "it still runs";

    /// <summary>A process's user and system CPU time, from /proc/PID/stat (fields 14 and 15, in USER_HZ = 100 ticks a second on Linux).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // the name may hold spaces; fields[0] is field 3
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}

/// <summary>
/// A theory that needs Linux, <c>prlimit</c> (util-linux) and room for the flood in this test process's own
/// descriptor limit; it raises the soft limit to the hard one when that is enough, and is skipped, visibly, when not.
/// </summary>
public sealed class DescriptorFloodTheoryAttribute : TheoryAttribute
{
    private const int Needed = DescriptorExhaustionTests.FloodSize + 512; // the flood, the test host and the other tests running alongside

    public DescriptorFloodTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux: descriptor limits (RLIMIT_NOFILE) and /proc";
        }
        else if (!DartioRun.OnPath("prlimit"))
        {
            Skip = "needs prlimit (Debian: util-linux)";
        }
        else if (!TryRaiseOwnLimit(Needed, out var hard))
        {
            Skip = $"this test process may open at most {hard} descriptors (hard limit); the flood needs {Needed}";
        }
    }

    private static bool TryRaiseOwnLimit(ulong needed, out ulong hard)
    {
        hard = 0;
        if (GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return false;
        }

        hard = limit.Maximum;
        if (limit.Current >= needed)
        {
            return true;
        }

        if (limit.Maximum < needed)
        {
            return false;
        }

        limit.Current = limit.Maximum;
        return SetRLimit(RlimitNofile, ref limit) == 0;
    }

    private const int RlimitNofile = 7; // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);
}
