using System.Diagnostics;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Addresses;

/// <summary><c>NetworkInterface.ListAsync</c> on this machine's interfaces, and on a veth pair the test makes.</summary>
public sealed class NetworkInterfaceTests
{
    [Fact]
    public async Task ListAsync_Defaults_LeaveOutLoopbackAndLinkLocal()
    {
        var all = await NetworkInterface.ListAsync().Within();

        Assert.All(all, i => Assert.NotEmpty(i.Addresses));
        Assert.DoesNotContain(all.SelectMany(i => i.Addresses), a => a.IsLoopback || a.IsLinkLocal);
        Assert.Equal(all.OrderBy(i => i.Index).Select(i => i.Index), all.Select(i => i.Index));
    }

    [Fact]
    public async Task ListAsync_IncludeLoopback_ListsTheLoopbackInterfaceWithItsAddresses()
    {
        var all = await NetworkInterface.ListAsync(includeLoopback: true).Within();
        var loopback = Assert.Single(all, i => i.Addresses.Contains(InternetAddress.LoopbackIPv4));

        Assert.True(loopback.Index > 0);
        Assert.Equal("lo", loopback.Name, ignoreCase: true, ignoreLineEndingDifferences: false, ignoreWhiteSpaceDifferences: false);
        var ipv4Only = await NetworkInterface.ListAsync(includeLoopback: true, type: InternetAddressType.IPv4).Within();
        Assert.All(ipv4Only.SelectMany(i => i.Addresses), a => Assert.Equal(InternetAddressType.IPv4, a.Type));
        var ipv6Only = await NetworkInterface.ListAsync(includeLoopback: true, type: InternetAddressType.IPv6).Within();
        Assert.All(ipv6Only.SelectMany(i => i.Addresses), a => Assert.Equal(InternetAddressType.IPv6, a.Type));
    }

    [Fact]
    public async Task ListAsync_UnixTypeOrCancelled_Refused()
    {
        var error = Assert.Throws<ArgumentException>(() => { _ = NetworkInterface.ListAsync(type: InternetAddressType.Unix); }); // before any async work
        Assert.Equal("type", error.ParamName);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NetworkInterface.ListAsync(cancellationToken: new CancellationToken(true)));
    }

    [VethFact]
    public async Task ListAsync_VethPairWithTestNetAddresses_ListsThemByInterfaceAndFamily()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var space = $"dartio-{id}";
        var name = $"dio{id}";
        await IpAsync("netns", "add", space);
        try
        {
            await IpAsync("link", "add", name, "type", "veth", "peer", "name", $"dip{id}", "netns", space);
            await IpAsync("addr", "add", "192.0.2.1/24", "dev", name);
            await IpAsync("-6", "addr", "add", "2001:db8::1/64", "dev", name, "nodad");

            var all = await NetworkInterface.ListAsync().Within();
            var veth = Assert.Single(all, i => i.Name == name);
            var ipv6Only = await NetworkInterface.ListAsync(type: InternetAddressType.IPv6).Within();

            Assert.Equal(
                new[] { "192.0.2.1", "2001:db8::1" },
                veth.Addresses.Select(a => a.Address).Order(StringComparer.Ordinal));
            Assert.True(veth.Index > 0);
            Assert.Equal(["2001:db8::1"], Assert.Single(ipv6Only, i => i.Name == name).Addresses.Select(a => a.Address));
        }
        finally
        {
            await IpAsync("netns", "del", space); // takes the pair with it
        }
    }

    internal static async Task IpAsync(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().Within();
        Assert.True(process.ExitCode == 0, $"ip {string.Join(' ', args)}: {await error}");
    }
}

/// <summary>A test that makes a network namespace and a veth pair: needs Linux, root and iproute2; skipped, saying why, elsewhere.</summary>
internal sealed class VethFactAttribute : FactAttribute
{
    public VethFactAttribute()
    {
        Skip = !OperatingSystem.IsLinux() ? "needs Linux network namespaces"
            : !Environment.IsPrivilegedProcess ? "needs root to make a network namespace and a veth pair"
            : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "needs iproute2 (ip)"
            : null;
    }
}
