using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SystemNetworkInterface = System.Net.NetworkInformation.NetworkInterface;

namespace DartIo.Cli.Hosting;

/// <summary>How the tool writes a host in a URL, and which URLs reach a server.</summary>
internal static class Urls
{
    /// <summary>The host as given, in brackets when it is numeric IPv6 text.</summary>
    public static string HostText(string host) =>
        InternetAddress.TryParse(host) is { Type: InternetAddressType.IPv6 } ? $"[{host}]" : host;

    /// <summary><c>scheme://host:port/</c> with the host as given.</summary>
    public static string Of(string scheme, string host, int port) => $"{scheme}://{HostText(host)}:{port}/";

    /// <summary>Whether an address binds every interface: <c>0.0.0.0</c> or <c>::</c>.</summary>
    public static bool IsEveryInterface(string address) =>
        IPAddress.TryParse(address, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));

    /// <summary>
    /// The URLs that reach a server bound to <paramref name="address"/>: for every interface (<c>0.0.0.0</c>, or <c>::</c>
    /// which takes IPv4 too unless <paramref name="v6Only"/>) one per address of this machine's interfaces that are up,
    /// loopback first; otherwise the one URL of the address as given.
    /// </summary>
    public static IReadOnlyList<string> ToUse(string scheme, string address, int port, bool v6Only)
    {
        if (!IsEveryInterface(address))
        {
            return [Of(scheme, address, port)];
        }

        var ipv6 = IPAddress.Parse(address).AddressFamily == AddressFamily.InterNetworkV6;
        return ToUse(scheme, port, LocalAddresses(), ipv4: !ipv6 || !v6Only, ipv6: ipv6);
    }

    /// <summary>
    /// One URL per address of the families asked for: loopback first, then IPv4, then IPv6, each in the order given;
    /// IPv6 link-local addresses are left out (a URL would need their zone); at least the loopback URL.
    /// </summary>
    internal static IReadOnlyList<string> ToUse(string scheme, int port, IEnumerable<IPAddress> addresses, bool ipv4, bool ipv6)
    {
        var chosen = addresses
            .Where(a => (ipv4 && a.AddressFamily == AddressFamily.InterNetwork) || (ipv6 && a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
            .Distinct()
            .Select((a, i) => (Address: a, Order: (IPAddress.IsLoopback(a) ? 0 : 2) + (a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1), Index: i))
            .OrderBy(a => a.Order)
            .ThenBy(a => a.Index)
            .Select(a => Of(scheme, a.Address.ToString(), port))
            .ToList();
        if (chosen.Count == 0)
        {
            chosen.Add(Of(scheme, ipv4 ? "127.0.0.1" : "::1", port));
        }

        return chosen;
    }

    private static List<IPAddress> LocalAddresses()
    {
        try
        {
            // The OS's view, not DartIo.NetworkInterface: this one knows which interfaces are down.
            return SystemNetworkInterface.GetAllNetworkInterfaces()
                .Where(i => i.OperationalStatus != OperationalStatus.Down) // Linux reports its loopback as Unknown
                .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
