using System.Diagnostics;
using System.Net.Security;
using System.Runtime.InteropServices;
using DartIo.FunctionalTests.Http;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

/// <summary>
/// Issue 10, "what must show that it works": under 10,000 silent TCP connections a good client's TLS handshake
/// completes in under one second (SPEC 7: no fixed pool of handshake slots that silent peers can fill). The silent
/// connections are held by child shells (bash's /dev/tcp), so that this process needs descriptors for the server's
/// ends only; the test runs alone, as its one timing assertion must not be disturbed by other tests, nor disturb them.
/// </summary>
[Collection(SilentFloodCollection.Name)]
public sealed class SilentConnectionFloodTests
{
    private const int Silent = 10_000;
    private const int Shells = 4;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    [SilentFloodFact]
    public async Task SecureServerSocket_10000SilentConnections_GoodClientsHandshakeUnderOneSecond()
    {
        await using var server = await SecureServerSocket.BindAsync("127.0.0.1", 0, TestCertificates.ServerContext()).WaitAsync(Patience);
        var serving = Task.Run(async () =>
        {
            await foreach (var connection in server)
            {
                _ = EchoAsync(connection);
            }
        });
        await using (var warm = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext()).WaitAsync(Patience))
        {
            Assert.Equal("warm", await RoundTripAsync(warm, "warm").WaitAsync(Patience)); // the first handshake of the process pays for setup
        }

        await using (await SilentShells.OpenAsync(server.Port))
        {
            var clock = Stopwatch.StartNew();
            await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
                .WaitAsync(Patience);
            var handshake = clock.Elapsed;

            Assert.True(handshake < Budget, $"The handshake took {handshake.TotalMilliseconds:F0} ms under {Silent} silent connections.");
            Assert.Equal("served", await RoundTripAsync(good, "served").WaitAsync(Patience));
        }

        await server.CloseAsync().WaitAsync(Patience);
        await serving.WaitAsync(Patience);
    }

    [SilentFloodFact]
    public async Task HttpServerBindSecure_10000SilentConnections_GoodClientsHandshakeUnderOneSecond()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, TestCertificates.ServerContext()).WaitAsync(Patience);
        server.Listen(async request =>
        {
            request.Response.Write("served");
            await request.Response.CloseAsync();
        });
        using (var client = HttpServerSecureTests.SecureClient())
        {
            Assert.Equal("served", await client.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/")).WaitAsync(Patience));
        }

        await using (await SilentShells.OpenAsync(server.Port))
        {
            var clock = Stopwatch.StartNew();
            await using var good = await ConnectSslStreamAsync(server.Port, protocols: [SslApplicationProtocol.Http11]).WaitAsync(Patience);
            var handshake = clock.Elapsed;

            Assert.True(handshake < Budget, $"The handshake took {handshake.TotalMilliseconds:F0} ms under {Silent} silent connections.");
            await good.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());
            Assert.EndsWith("served", await ReadToEndAsync(good).WaitAsync(Patience), StringComparison.Ordinal);
        }
    }

    /// <summary>Child shells that each open their share of the silent connections and hold them until disposed.</summary>
    private sealed class SilentShells : IAsyncDisposable
    {
        private const string Script = """
            for ((i = 0; i < $1; i++)); do exec {fd}<>"/dev/tcp/127.0.0.1/$2" || exit 1; done
            echo ready
            read -r _
            """;

        private readonly List<Process> _shells = [];

        /// <summary>Opens <see cref="Silent"/> connections to the port, several shells at once; completes when all are open.</summary>
        public static async Task<SilentShells> OpenAsync(int port)
        {
            var shells = new SilentShells();
            try
            {
                for (var i = 0; i < Shells; i++)
                {
                    var info = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
                    foreach (var argument in new[] { "-c", Script, "silent", (Silent / Shells).ToString(), port.ToString() })
                    {
                        info.ArgumentList.Add(argument);
                    }

                    shells._shells.Add(Process.Start(info)!);
                }

                foreach (var shell in shells._shells)
                {
                    Assert.Equal("ready", await shell.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
                }

                return shells;
            }
            catch
            {
                await shells.DisposeAsync();
                throw;
            }
        }

        /// <summary>Ends the shells, which closes their connections.</summary>
        public async ValueTask DisposeAsync()
        {
            foreach (var shell in _shells)
            {
                if (!shell.HasExited)
                {
                    shell.Kill();
                }

                await shell.WaitForExitAsync().WaitAsync(Patience);
                shell.Dispose();
            }
        }
    }
}

/// <summary>
/// A test that needs descriptors for <c>10,000</c> server-side connections: it raises this process's soft limit to the
/// hard one when that is needed and allowed, and is skipped, visibly, where the hard limit is too low or bash is missing.
/// </summary>
internal sealed class SilentFloodFactAttribute : FactAttribute
{
    private const int Needed = 12_000; // the server's ends, plus what the test host and other tests hold

    public SilentFloodFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "The silent-connection flood runs on Linux (bash's /dev/tcp, setrlimit).";
        }
        else if (!File.Exists("/bin/bash") && !File.Exists("/usr/bin/bash"))
        {
            Skip = "bash is missing: it holds the silent connections.";
        }
        else if (!DescriptorLimit.TryRaise(Needed, out var hard))
        {
            Skip = $"The descriptor limit is too low for 10,000 silent connections: hard limit {hard}, {Needed} needed.";
        }
    }
}

/// <summary>This process's RLIMIT_NOFILE.</summary>
internal static class DescriptorLimit
{
    private const int RlimitNoFile = 7; // Linux

    /// <summary>Makes sure the soft limit is at least <paramref name="needed"/>, raising it up to the hard limit if it must.</summary>
    public static bool TryRaise(ulong needed, out ulong hard)
    {
        var limit = default(Rlimit);
        if (GetRLimit(RlimitNoFile, ref limit) != 0)
        {
            hard = 0;
            return false;
        }

        hard = limit.Max;
        if (limit.Current >= needed)
        {
            return true;
        }

        if (limit.Max < needed)
        {
            return false;
        }

        limit.Current = limit.Max;
        return SetRLimit(RlimitNoFile, ref limit) == 0;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, ref Rlimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref Rlimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Max;
    }
}

/// <summary>Tests that load the machine on purpose: they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SilentFloodCollection
{
    public const string Name = "Silent connection flood";
}
