using System.Net;

namespace DartIo.Internal.Listening;

/// <summary>
/// What belongs to the OS socket rather than to one server on it (API.md): the per-address limit and the PROXY
/// protocol. The first server to start accepting fixes them; a sharer that set other values is refused.
/// </summary>
/// <param name="MaxConnectionsPerAddress">Connections open at once from one client address; 0: no limit.</param>
/// <param name="ProxyProtocol">Whether connections begin with a PROXY protocol header.</param>
/// <param name="TrustedProxies">Peers whose header is believed; empty: every peer.</param>
internal sealed record ListenerPolicy(int MaxConnectionsPerAddress, ProxyProtocolMode ProxyProtocol, IReadOnlyList<IPNetwork> TrustedProxies)
{
    /// <summary>No limit, no PROXY protocol: what a socket has until a server sets something.</summary>
    public static ListenerPolicy Default { get; } = new(0, ProxyProtocolMode.None, []);

    /// <summary>Whether <paramref name="peer"/> may send a PROXY header (SPEC 8: every peer when the list is empty).</summary>
    public bool Trusts(EndPoint? peer)
    {
        if (TrustedProxies.Count == 0)
        {
            return true;
        }

        if (peer is not IPEndPoint { Address: var address })
        {
            return false; // a Unix-domain peer has no address to match
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var network in TrustedProxies)
        {
            if (network.Contains(address) || network.Contains(plain))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// This policy with a sharer's explicit settings laid over it. What the sharer left at its default takes the
    /// socket's value; what it set must equal the socket's value once another server has fixed it.
    /// </summary>
    /// <param name="settings">The sharer's settings.</param>
    /// <param name="fixedBefore">True when another server has already started accepting on the socket.</param>
    /// <param name="conflict">The setting that differs, when the result is null.</param>
    /// <returns>The merged policy, or null on a conflict.</returns>
    public ListenerPolicy? Merge(ServerSettings settings, bool fixedBefore, out string? conflict)
    {
        conflict = null;
        if (fixedBefore)
        {
            if (settings.MaxConnectionsPerAddressSet && settings.MaxConnectionsPerAddress != MaxConnectionsPerAddress)
            {
                conflict = $"MaxConnectionsPerAddress is {MaxConnectionsPerAddress}";
            }
            else if (settings.ProxyProtocolSet && settings.ProxyProtocol != ProxyProtocol)
            {
                conflict = $"ProxyProtocol is {ProxyProtocol}";
            }
            else if (settings.TrustedProxies.Count > 0 && !settings.TrustedProxies.ToHashSet().SetEquals(TrustedProxies))
            {
                conflict = $"TrustedProxies is [{string.Join(", ", TrustedProxies)}]";
            }

            return conflict is null ? this : null;
        }

        return new ListenerPolicy(
            settings.MaxConnectionsPerAddressSet ? settings.MaxConnectionsPerAddress : MaxConnectionsPerAddress,
            settings.ProxyProtocolSet ? settings.ProxyProtocol : ProxyProtocol,
            settings.TrustedProxies.Count > 0 ? [.. settings.TrustedProxies] : TrustedProxies);
    }
}
