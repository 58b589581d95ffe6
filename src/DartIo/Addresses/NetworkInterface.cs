using System.Net;
using System.Net.Sockets;
using DartIo.Internal;
using SystemInterface = System.Net.NetworkInformation.NetworkInterface;

namespace DartIo;

/// <summary>A network interface of this machine and its addresses. Mirrors Dart's <c>NetworkInterface</c>.</summary>
public sealed class NetworkInterface
{
    private NetworkInterface(string name, int index, IReadOnlyList<InternetAddress> addresses)
    {
        Name = name;
        Index = index;
        Addresses = addresses;
    }

    /// <summary>The interface's name (<c>eth0</c>, <c>lo</c>).</summary>
    public string Name { get; }

    /// <summary>The interface's index, as the OS numbers it (IPv6 scope ids name interfaces by it).</summary>
    public int Index { get; }

    /// <summary>The interface's addresses that passed the filters of <see cref="ListAsync"/>; IPv6 ones keep their scope.</summary>
    public IReadOnlyList<InternetAddress> Addresses { get; }

    /// <summary>
    /// Lists this machine's network interfaces, each with its addresses, as Dart's <c>NetworkInterface.list</c>: the
    /// filters apply to addresses, and an interface left with none is not listed.
    /// </summary>
    /// <param name="includeLoopback">Whether loopback addresses (127.0.0.0/8, ::1) are listed; false by default.</param>
    /// <param name="includeLinkLocal">Whether link-local addresses (169.254.0.0/16, fe80::/10) are listed; false by default.</param>
    /// <param name="type">
    /// <see cref="InternetAddressType.IPv4"/> or <see cref="InternetAddressType.IPv6"/> for that family only;
    /// <see cref="InternetAddressType.Any"/> (the default) for both.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The interfaces in the order of their index.</returns>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="InternetAddressType.Unix"/> (or not a member).</exception>
    /// <exception cref="NetworkException">The OS would not list its interfaces (its error inside).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<IReadOnlyList<NetworkInterface>> ListAsync(bool includeLoopback = false, bool includeLinkLocal = false,
        InternetAddressType type = InternetAddressType.Any, CancellationToken cancellationToken = default)
    {
        if (type is not (InternetAddressType.IPv4 or InternetAddressType.IPv6 or InternetAddressType.Any))
        {
            throw new ArgumentException(Messages.NetworkInterfaceTypeUnsupported(type), nameof(type));
        }

        // The OS call blocks (netlink on Linux): off the caller's thread, as Dart's list is a future.
        return Task.Run<IReadOnlyList<NetworkInterface>>(() => List(includeLoopback, includeLinkLocal, type), cancellationToken);
    }

    private static List<NetworkInterface> List(bool includeLoopback, bool includeLinkLocal, InternetAddressType type)
    {
        SystemInterface[] all;
        try
        {
            all = SystemInterface.GetAllNetworkInterfaces();
        }
        catch (System.Net.NetworkInformation.NetworkInformationException ex)
        {
            throw new NetworkException("Listing the network interfaces failed", new OSError(ex.Message, ex.ErrorCode), null, null, ex);
        }

        var listed = new List<NetworkInterface>();
        foreach (var candidate in all)
        {
            var properties = candidate.GetIPProperties();
            var addresses = properties.UnicastAddresses
                .Select(unicast => unicast.Address)
                .Where(address => Wanted(address, includeLoopback, includeLinkLocal, type))
                .Select(InternetAddress.FromIPAddress)
                .ToArray();
            if (addresses.Length == 0)
            {
                continue;
            }

            var index = SafeIndex(() => properties.GetIPv4Properties()?.Index) ?? SafeIndex(() => properties.GetIPv6Properties()?.Index) ?? 0;
            listed.Add(new NetworkInterface(candidate.Name, index, addresses));
        }

        listed.Sort((a, b) => a.Index.CompareTo(b.Index));
        return listed;
    }

    private static bool Wanted(IPAddress address, bool includeLoopback, bool includeLinkLocal, InternetAddressType type)
    {
        var family = address.AddressFamily;
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || (type == InternetAddressType.IPv4 && family != AddressFamily.InterNetwork)
            || (type == InternetAddressType.IPv6 && family != AddressFamily.InterNetworkV6))
        {
            return false;
        }

        if (!includeLoopback && IPAddress.IsLoopback(address))
        {
            return false;
        }

        return includeLinkLocal || !IsLinkLocal(address);
    }

    private static bool IsLinkLocal(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork
        ? address.GetAddressBytes() is [169, 254, ..]
        : address.IsIPv6LinkLocal;

    /// <summary>The index the OS gives, or null where a family's properties are not there (an interface without IPv4 throws on Linux).</summary>
    private static int? SafeIndex(Func<int?> read)
    {
        try
        {
            return read();
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return null;
        }
    }
}
