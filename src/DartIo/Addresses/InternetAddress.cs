using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.Internal;

namespace DartIo;

/// <summary>
/// An IPv4 or IPv6 address, or a Unix-domain socket path, with the host name it was found by.
/// Mirrors Dart's <c>InternetAddress</c>.
/// </summary>
/// <remarks>
/// Numeric text is parsed strictly, like <c>inet_pton</c>: four decimal parts 0-255 for IPv4 and standard
/// IPv6 text (with an optional <c>%scope</c>). Shorthand, octal and hex IPv4 forms are not addresses.
/// Two addresses are equal when their <see cref="Type"/> and raw bytes (and IPv6 scope) are equal;
/// <see cref="Host"/> plays no part.
/// </remarks>
public sealed class InternetAddress : IEquatable<InternetAddress>
{
    private readonly byte[] _raw;

    private InternetAddress(InternetAddressType type, byte[] raw, string address, string? host, long scopeId)
    {
        Type = type;
        _raw = raw;
        Address = address;
        Host = host ?? address;
        ScopeId = scopeId;
    }

    /// <summary>
    /// Parses a numeric address, or takes <paramref name="address"/> as a Unix-domain path when
    /// <paramref name="type"/> is <see cref="InternetAddressType.Unix"/>. Mirrors Dart's <c>InternetAddress(address, type:)</c>.
    /// </summary>
    /// <param name="address">Numeric IPv4 or IPv6 text, or a path for <see cref="InternetAddressType.Unix"/>.</param>
    /// <param name="type">
    /// null or <see cref="InternetAddressType.Any"/> to accept either IP version; <see cref="InternetAddressType.IPv4"/>
    /// or <see cref="InternetAddressType.IPv6"/> to require one; <see cref="InternetAddressType.Unix"/> for a path.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException">The text is not a numeric address (of the given type).</exception>
    public InternetAddress(string address, InternetAddressType? type = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        InternetAddress parsed;
        if (type == InternetAddressType.Unix)
        {
            if (address.Length == 0)
            {
                throw new ArgumentException("A Unix-domain address needs a path.", nameof(address));
            }

            parsed = Unix(address);
        }
        else
        {
            parsed = Parse(address, null)
                ?? throw new ArgumentException($"Invalid internet address '{address}'.", nameof(address));
            if (type is InternetAddressType.IPv4 or InternetAddressType.IPv6 && parsed.Type != type)
            {
                throw new ArgumentException($"Invalid internet address '{address}': not an {type} address.", nameof(address));
            }
        }

        Type = parsed.Type;
        _raw = parsed._raw;
        Address = parsed.Address;
        Host = parsed.Host;
        ScopeId = parsed.ScopeId;
    }

    /// <summary>The IPv4 loopback address, 127.0.0.1 (Dart's <c>loopbackIPv4</c>).</summary>
    public static InternetAddress LoopbackIPv4 { get; } = new(InternetAddressType.IPv4, [127, 0, 0, 1], "127.0.0.1", null, 0);

    /// <summary>The IPv6 loopback address, ::1 (Dart's <c>loopbackIPv6</c>).</summary>
    public static InternetAddress LoopbackIPv6 { get; } = new(InternetAddressType.IPv6, IPAddress.IPv6Loopback.GetAddressBytes(), "::1", null, 0);

    /// <summary>The IPv4 wildcard address, 0.0.0.0 (Dart's <c>anyIPv4</c>).</summary>
    public static InternetAddress AnyIPv4 { get; } = new(InternetAddressType.IPv4, [0, 0, 0, 0], "0.0.0.0", null, 0);

    /// <summary>The IPv6 wildcard address, :: (Dart's <c>anyIPv6</c>).</summary>
    public static InternetAddress AnyIPv6 { get; } = new(InternetAddressType.IPv6, new byte[16], "::", null, 0);

    /// <summary>The kind of address: <see cref="InternetAddressType.IPv4"/>, <see cref="InternetAddressType.IPv6"/> or <see cref="InternetAddressType.Unix"/>.</summary>
    public InternetAddressType Type { get; }

    /// <summary>The numeric text of the address as it was given (the path, for a Unix-domain address).</summary>
    public string Address { get; }

    /// <summary>The host name this address was looked up by or reverse-resolved to; otherwise <see cref="Address"/>.</summary>
    public string Host { get; }

    /// <summary>A fresh copy of the raw bytes: 4 for IPv4, 16 for IPv6, the UTF-8 path for Unix.</summary>
    public byte[] RawAddress => (byte[])_raw.Clone();

    /// <summary>True for 127.0.0.0/8 and exactly ::1.</summary>
    public bool IsLoopback => Type switch
    {
        InternetAddressType.IPv4 => _raw[0] == 127,
        InternetAddressType.IPv6 => _raw.AsSpan().SequenceEqual(IPv6LoopbackBytes),
        _ => false,
    };

    /// <summary>True for 169.254.0.0/16 and fe80::/10.</summary>
    public bool IsLinkLocal => Type switch
    {
        InternetAddressType.IPv4 => _raw[0] == 169 && _raw[1] == 254,
        InternetAddressType.IPv6 => _raw[0] == 0xfe && (_raw[1] & 0xc0) == 0x80,
        _ => false,
    };

    /// <summary>True for 224.0.0.0/4 and ff00::/8.</summary>
    public bool IsMulticast => Type switch
    {
        InternetAddressType.IPv4 => (_raw[0] & 0xf0) == 0xe0,
        InternetAddressType.IPv6 => _raw[0] == 0xff,
        _ => false,
    };

    /// <summary>The IPv6 scope (interface index), 0 when there is none.</summary>
    internal long ScopeId { get; }

    private static ReadOnlySpan<byte> IPv6LoopbackBytes => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>
    /// Makes an address from raw bytes. Mirrors Dart's <c>InternetAddress.fromRawAddress</c>.
    /// </summary>
    /// <param name="rawAddress">4 bytes for IPv4, 16 for IPv6, or the UTF-8 path when <paramref name="type"/> is Unix.</param>
    /// <param name="type">null to infer IPv4 or IPv6 from the length; <see cref="InternetAddressType.Unix"/> for a path.</param>
    /// <returns>The address; its <see cref="Address"/> is the canonical text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rawAddress"/> is null.</exception>
    /// <exception cref="ArgumentException">The length does not fit the type.</exception>
    public static InternetAddress FromRawAddress(byte[] rawAddress, InternetAddressType? type = null)
    {
        ArgumentNullException.ThrowIfNull(rawAddress);
        if (type == InternetAddressType.Unix)
        {
            return Unix(Encoding.UTF8.GetString(rawAddress));
        }

        var expected = type switch
        {
            InternetAddressType.IPv4 => 4,
            InternetAddressType.IPv6 => 16,
            _ => rawAddress.Length is 4 or 16 ? rawAddress.Length : -1,
        };
        if (rawAddress.Length != expected)
        {
            throw new ArgumentException(
                $"A raw {(type is null or InternetAddressType.Any ? "internet" : type.ToString())} address must be {(expected == -1 ? "4 or 16" : expected)} bytes, not {rawAddress.Length}.",
                nameof(rawAddress));
        }

        return FromIPAddress(new IPAddress(rawAddress));
    }

    /// <summary>Parses numeric text strictly, as the constructor does, without throwing.</summary>
    /// <param name="address">Numeric IPv4 or IPv6 text.</param>
    /// <returns>The address, or null when the text is not a numeric address.</returns>
    public static InternetAddress? TryParse(string address) => address is null ? null : Parse(address, null);

    /// <summary>Makes an address from a .NET <see cref="IPAddress"/>.</summary>
    /// <param name="address">An IPv4 or IPv6 address; IPv6 keeps its scope.</param>
    /// <returns>The address, with canonical text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public static InternetAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => new InternetAddress(InternetAddressType.IPv4, address.GetAddressBytes(), address.ToString(), null, 0),
            AddressFamily.InterNetworkV6 => new InternetAddress(InternetAddressType.IPv6, address.GetAddressBytes(), address.ToString(), null, address.ScopeId),
            _ => throw new ArgumentException($"Unsupported address family {address.AddressFamily}.", nameof(address)),
        };
    }

    /// <summary>
    /// Looks up a host name with the system resolver. Mirrors Dart's <c>InternetAddress.lookup</c>.
    /// </summary>
    /// <remarks>
    /// The task completes with the resolver's results in the resolver's order, each with <see cref="Host"/> set to
    /// <paramref name="host"/>. Numeric text is not sent to the resolver: it completes with just that address.
    /// </remarks>
    /// <param name="host">A host name or numeric address.</param>
    /// <param name="type"><see cref="InternetAddressType.Any"/> for both IP versions, or IPv4 or IPv6 for one.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The addresses, never empty.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="type"/> is <see cref="InternetAddressType.Unix"/>.</exception>
    /// <exception cref="NetworkException">The lookup failed: <c>Failed host lookup: '&lt;host&gt;'</c> with the resolver's error.</exception>
    public static Task<IReadOnlyList<InternetAddress>> LookupAsync(string host,
        InternetAddressType type = InternetAddressType.Any, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (type == InternetAddressType.Unix)
        {
            throw new ArgumentException("A Unix-domain path cannot be looked up.", nameof(type));
        }

        var numeric = Parse(host, null);
        if (numeric is not null)
        {
            if (type != InternetAddressType.Any && numeric.Type != type)
            {
                return Task.FromException<IReadOnlyList<InternetAddress>>(
                    new NetworkException(Messages.FailedHostLookup(host), new OSError($"'{host}' is not an {type} address")));
            }

            return Task.FromResult<IReadOnlyList<InternetAddress>>([numeric.Canonical().WithHost(host)]);
        }

        return LookupCoreAsync(host, type, cancellationToken);
    }

    private static async Task<IReadOnlyList<InternetAddress>> LookupCoreAsync(string host, InternetAddressType type, CancellationToken cancellationToken)
    {
        var family = type switch
        {
            InternetAddressType.IPv4 => AddressFamily.InterNetwork,
            InternetAddressType.IPv6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unspecified,
        };
        IPAddress[] found;
        try
        {
            found = await Dns.GetHostAddressesAsync(host, family, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new NetworkException(Messages.FailedHostLookup(host), OSErrors.FromSocketException(ex), null, null, ex);
        }
        catch (ArgumentException ex)
        {
            throw new NetworkException(Messages.FailedHostLookup(host), new OSError(ex.Message), null, null, ex);
        }

        if (found.Length == 0)
        {
            throw new NetworkException(Messages.FailedHostLookup(host), new OSError("No address associated with hostname"));
        }

        var result = new InternetAddress[found.Length];
        for (var i = 0; i < found.Length; i++)
        {
            result[i] = FromIPAddress(found[i]).WithHost(host);
        }

        return result;
    }

    /// <summary>
    /// Looks up the host name of this address with the system resolver. Mirrors Dart's <c>InternetAddress.reverse</c>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>A copy of this address whose <see cref="Host"/> is the name found.</returns>
    /// <exception cref="NetworkException">No name was found: <c>Failed reverse host lookup</c> with the resolver's error.</exception>
    /// <exception cref="InvalidOperationException">This is a Unix-domain address.</exception>
    public Task<InternetAddress> ReverseAsync(CancellationToken cancellationToken = default)
    {
        if (Type == InternetAddressType.Unix)
        {
            throw new InvalidOperationException("A Unix-domain address has no host name to look up.");
        }

        return ReverseCoreAsync(cancellationToken);
    }

    private async Task<InternetAddress> ReverseCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entry = await Dns.GetHostEntryAsync(ToIPAddress()).WaitAsync(cancellationToken).ConfigureAwait(false);
            return WithHost(entry.HostName);
        }
        catch (SocketException ex)
        {
            throw new NetworkException(Messages.FailedReverseLookup, OSErrors.FromSocketException(ex), this, null, ex);
        }
    }

    /// <summary>The .NET form of this address, with its IPv6 scope.</summary>
    /// <returns>A new <see cref="IPAddress"/>.</returns>
    /// <exception cref="InvalidOperationException">This is a Unix-domain address.</exception>
    public IPAddress ToIPAddress()
    {
        if (Type == InternetAddressType.Unix)
        {
            throw new InvalidOperationException($"The Unix-domain address '{Address}' is not an IP address.");
        }

        return Type == InternetAddressType.IPv6 ? new IPAddress(_raw, ScopeId) : new IPAddress(_raw);
    }

    /// <inheritdoc/>
    public bool Equals(InternetAddress? other) =>
        other is not null && Type == other.Type && ScopeId == other.ScopeId && _raw.AsSpan().SequenceEqual(other._raw);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as InternetAddress);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.Add(Type);
        hash.AddBytes(_raw);
        hash.Add(ScopeId);
        return hash.ToHashCode();
    }

    /// <summary>Dart's form: <c>InternetAddress('&lt;address&gt;', &lt;type&gt;)</c>.</summary>
    /// <returns>The address as text.</returns>
    public override string ToString() => $"InternetAddress('{Address}', {Type})";

    /// <summary>True when both are null, or both have the same type and raw bytes.</summary>
    /// <param name="left">One address.</param>
    /// <param name="right">The other address.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(InternetAddress? left, InternetAddress? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>The negation of <c>==</c>.</summary>
    /// <param name="left">One address.</param>
    /// <param name="right">The other address.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(InternetAddress? left, InternetAddress? right) => !(left == right);

    /// <summary>This address with another <see cref="Host"/>.</summary>
    internal InternetAddress WithHost(string host) => new(Type, _raw, Address, host, ScopeId);

    /// <summary>
    /// This address with <see cref="Address"/> in the resolver's canonical text (<c>::0</c> is <c>::</c>, as
    /// <c>inet_ntop</c> writes it), as a lookup of numeric text answers; an IPv6 zone keeps the text it was given.
    /// </summary>
    private InternetAddress Canonical()
    {
        var text = new IPAddress(_raw).ToString();
        if (Type == InternetAddressType.IPv6 && Address.IndexOf('%', StringComparison.Ordinal) is var percent and >= 0)
        {
            text += Address[percent..];
        }

        return new InternetAddress(Type, _raw, text, Host, ScopeId);
    }

    /// <summary>The raw bytes without a copy, for the registry's keys.</summary>
    internal ReadOnlySpan<byte> RawSpan => _raw;

    /// <summary>The socket endpoint for this address and a port (the port is ignored for Unix).</summary>
    internal EndPoint ToEndPoint(int port) =>
        Type == InternetAddressType.Unix ? new UnixDomainSocketEndPoint(Address) : new IPEndPoint(ToIPAddress(), port);

    /// <summary>The address of a socket endpoint, as a Dart program would see it.</summary>
    internal static InternetAddress FromEndPoint(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => FromIPAddress(ip.Address),
        UnixDomainSocketEndPoint unix => Unix(unix.ToString() ?? string.Empty),
        _ => Unix(string.Empty),
    };

    private static InternetAddress Unix(string path) =>
        new(InternetAddressType.Unix, Encoding.UTF8.GetBytes(path), path, null, 0);

    private static InternetAddress? Parse(string text, string? host)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return ParseIPv6(text, host);
        }

        var bytes = new byte[4];
        return StrictIPv4(text, bytes) ? new InternetAddress(InternetAddressType.IPv4, bytes, text, host, 0) : null;
    }

    private static InternetAddress? ParseIPv6(string text, string? host)
    {
        var percent = text.IndexOf('%', StringComparison.Ordinal);
        var body = percent < 0 ? text.AsSpan() : text.AsSpan(0, percent);
        if (percent >= 0)
        {
            var scope = text.AsSpan(percent + 1);
            if (scope.Length == 0 || scope.ContainsAnyExcept(ScopeCharacters))
            {
                return null;
            }
        }

        if (body.ContainsAnyExcept(IPv6Characters))
        {
            return null;
        }

        // .NET's parser is lenient about an embedded IPv4 tail ("::127.1"); hold it to inet_pton's rule.
        var lastColon = body.LastIndexOf(':');
        var tail = body[(lastColon + 1)..];
        if (tail.Contains('.') && !StrictIPv4(tail, stackalloc byte[4]))
        {
            return null;
        }

        if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        return new InternetAddress(InternetAddressType.IPv6, ip.GetAddressBytes(), text, host, ip.ScopeId);
    }

    private static readonly System.Buffers.SearchValues<char> IPv6Characters =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF:.");

    private static readonly System.Buffers.SearchValues<char> ScopeCharacters =
        System.Buffers.SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-");

    /// <summary>Exactly four decimal parts 0-255 with no leading zeros, as glibc's inet_pton reads IPv4.</summary>
    private static bool StrictIPv4(ReadOnlySpan<char> text, Span<byte> bytes)
    {
        var part = 0;
        var value = -1;
        var digits = 0;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (value < 0 || part == 3)
                {
                    return false;
                }

                bytes[part++] = (byte)value;
                value = -1;
                digits = 0;
            }
            else if (c is >= '0' and <= '9')
            {
                if (digits > 0 && value == 0)
                {
                    return false; // a leading zero: octal in some parsers, never an address here
                }

                value = (value < 0 ? 0 : value * 10) + (c - '0');
                digits++;
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (value < 0 || part != 3)
        {
            return false;
        }

        bytes[3] = (byte)value;
        return true;
    }
}
