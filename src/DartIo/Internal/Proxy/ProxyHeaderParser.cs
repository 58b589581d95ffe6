using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace DartIo.Internal.Proxy;

/// <summary>
/// Parses a PROXY protocol header, version 1 (one US-ASCII line) or 2 (binary), as HAProxy's specification
/// (<c>doc/proxy-protocol.txt</c>) defines it, from the bytes at the start of a connection. Pure: no I/O, no state.
/// </summary>
/// <remarks>
/// <para>
/// Version 1 is held to the letter: <c>PROXY</c>, one space, <c>TCP4</c> or <c>TCP6</c> with two addresses of that
/// family (IPv4 without leading zeros) and two ports (0-65535, no leading zeros), one space between fields, CRLF
/// within 107 bytes, no other CR or LF; <c>UNKNOWN</c> may be followed by anything up to the CRLF, which is ignored.
/// A line without its CRLF yet is checked as far as it goes, so a bad one is refused without waiting for the rest.
/// </para>
/// <para>
/// Version 2: version 2, command LOCAL or PROXY, family UNSPEC, INET, INET6 or UNIX, transport UNSPEC, STREAM or
/// DGRAM. The block after the 16 fixed bytes may be at most <see cref="V2MaxBlockLength"/> bytes (our cap: the
/// specification sets none; the addresses take at most 216 and the registered TLVs a few hundred). A PROXY
/// command's addresses are read for TCP/UDP over IPv4 and IPv6 and for UNIX stream/datagram, must fit in the block,
/// and are followed by TLVs, kept as sent, each of which must fit in the header; a CRC32C TLV (type 3) is checked.
/// A LOCAL command, or a PROXY command with an unspecified family or transport, has no addresses: the
/// specification says to ignore its block, so the block cannot make it invalid, and TLVs after the family's
/// addresses (right after the 16 bytes for UNSPEC, where HAProxy's health checks put them) are kept when they are
/// well formed.
/// </para>
/// </remarks>
internal static class ProxyHeaderParser
{
    /// <summary>The longest version 1 line, CRLF included (<c>PROXY UNKNOWN</c> with two full IPv6 addresses and ports).</summary>
    internal const int V1MaxLength = 107;

    /// <summary>The fixed part of a version 2 header: signature, version and command, family, block length.</summary>
    internal const int V2FixedLength = 16;

    /// <summary>The longest version 2 block (addresses and TLVs) accepted; a longer header is "oversized".</summary>
    internal const int V2MaxBlockLength = 4096;

    /// <summary>The longest version 2 header accepted, the fixed part included.</summary>
    internal const int V2MaxLength = V2FixedLength + V2MaxBlockLength;

    private const int UnixAddressLength = 108;

    private const byte Crc32CType = 0x03;

    private static readonly SearchValues<byte> IPv4Characters = SearchValues.Create("0123456789."u8);

    private static readonly SearchValues<byte> IPv6Characters = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    private static readonly SearchValues<byte> Digits = SearchValues.Create("0123456789"u8);

    private static ReadOnlySpan<byte> V1Signature => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Reads the header at the start of <paramref name="data"/>, which may hold bytes past it.</summary>
    /// <param name="data">The bytes received so far, from the first byte of the connection.</param>
    /// <param name="header">With <see cref="ProxyParseStatus.Complete"/>, the header; otherwise null.</param>
    /// <param name="length">
    /// With <see cref="ProxyParseStatus.Complete"/>, the exact length of the header in bytes. With
    /// <see cref="ProxyParseStatus.Incomplete"/>, the whole header's length once a version 2 header's fixed part is
    /// in <paramref name="data"/>, otherwise 0. Otherwise 0.
    /// </param>
    /// <param name="error">With <see cref="ProxyParseStatus.Invalid"/>, why (never quoting the peer's bytes); otherwise null.</param>
    /// <returns>Whether the bytes are a header, a prefix of one, malformed, or something else.</returns>
    internal static ProxyParseStatus Parse(ReadOnlySpan<byte> data, out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;
        if (Agrees(data, V1Signature))
        {
            return data.Length < V1Signature.Length ? ProxyParseStatus.Incomplete : ParseV1(data, out header, out length, out error);
        }

        if (Agrees(data, V2Signature))
        {
            return ParseV2(data, out header, out length, out error);
        }

        if (data.StartsWith(V1Signature[..^1]))
        {
            error = Messages.ProxyV1BadSignature;
            return ProxyParseStatus.Invalid;
        }

        return ProxyParseStatus.NotProxy;
    }

    /// <summary>True when <paramref name="data"/> begins with a whole signature: from there on, its bytes are a header's.</summary>
    internal static bool HasSignature(ReadOnlySpan<byte> data) => data.StartsWith(V1Signature) || data.StartsWith(V2Signature);

    /// <summary>True when <paramref name="data"/> begins with the whole version 2 signature.</summary>
    internal static bool HasV2Signature(ReadOnlySpan<byte> data) => data.StartsWith(V2Signature);

    /// <summary>True when the data and the signature agree as far as both go.</summary>
    private static bool Agrees(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var common = Math.Min(data.Length, signature.Length);
        return data[..common].SequenceEqual(signature[..common]);
    }

    private static ProxyParseStatus ParseV1(ReadOnlySpan<byte> data, out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;
        var window = data[..Math.Min(data.Length, V1MaxLength)];
        var end = window.IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0 || end == window.Length - 1 && window[end] == '\r')
        {
            // No CRLF yet: the line so far must still be a prefix of a valid one, and there must be room for the rest.
            if (window.Length == V1MaxLength)
            {
                error = Messages.ProxyV1TooLong;
                return ProxyParseStatus.Invalid;
            }

            return ParseV1Line(window[V1Signature.Length..(end < 0 ? window.Length : end)], complete: false, out _, out error);
        }

        if (window[end] != '\r' || window[end + 1] != '\n')
        {
            error = Messages.ProxyV1BareCrOrLf;
            return ProxyParseStatus.Invalid;
        }

        var status = ParseV1Line(window[V1Signature.Length..end], complete: true, out header, out error);
        length = status == ProxyParseStatus.Complete ? end + 2 : 0;
        return status;
    }

    /// <summary>Checks the fields after <c>PROXY </c>: all of them (<paramref name="complete"/>) or those so far.</summary>
    private static ProxyParseStatus ParseV1Line(ReadOnlySpan<byte> line, bool complete, out ProxyHeader? header, out string? error)
    {
        header = null;
        error = null;
        var v6 = false;
        InternetAddress? source = null;
        InternetAddress? destination = null;
        var sourcePort = 0;
        var destinationPort = 0;
        var index = 0;
        var rest = line;
        while (true)
        {
            var space = rest.IndexOf((byte)' ');
            var text = space < 0 ? rest : rest[..space];
            var whole = space >= 0 || complete;
            if (whole && text.IsEmpty)
            {
                error = Messages.ProxyV1EmptyField;
                return ProxyParseStatus.Invalid;
            }

            switch (index)
            {
                case 0 when !whole:
                    if (!"TCP4"u8.StartsWith(text) && !"TCP6"u8.StartsWith(text) && !"UNKNOWN"u8.StartsWith(text))
                    {
                        error = Messages.ProxyV1UnknownProtocol;
                        return ProxyParseStatus.Invalid;
                    }

                    break;
                case 0 when text.SequenceEqual("UNKNOWN"u8):
                    // The specification: the receiver must ignore anything presented before the CRLF.
                    if (!complete)
                    {
                        return ProxyParseStatus.Incomplete;
                    }

                    header = new ProxyHeader(1, "UNKNOWN", null, 0, null, 0, []);
                    return ProxyParseStatus.Complete;
                case 0:
                    v6 = text.SequenceEqual("TCP6"u8);
                    if (!v6 && !text.SequenceEqual("TCP4"u8))
                    {
                        error = Messages.ProxyV1UnknownProtocol;
                        return ProxyParseStatus.Invalid;
                    }

                    break;
                case 1 or 2:
                    var address = whole ? ParseV1Address(text, v6) : null;
                    if (whole ? address is null : !CouldBeV1Address(text, v6))
                    {
                        error = Messages.ProxyV1BadAddress(index == 1 ? "source" : "destination", v6 ? "IPv6" : "IPv4");
                        return ProxyParseStatus.Invalid;
                    }

                    (index == 1 ? ref source : ref destination) = address;
                    break;
                case 3 or 4:
                    var port = ParseV1PortPrefix(text);
                    if (port < 0)
                    {
                        error = Messages.ProxyV1BadPort(index == 3 ? "source" : "destination");
                        return ProxyParseStatus.Invalid;
                    }

                    (index == 3 ? ref sourcePort : ref destinationPort) = port;
                    break;
                default:
                    error = Messages.ProxyV1ExtraField;
                    return ProxyParseStatus.Invalid;
            }

            if (space < 0)
            {
                break;
            }

            rest = rest[(space + 1)..];
            index++;
        }

        if (!complete)
        {
            return ProxyParseStatus.Incomplete;
        }

        if (index < 4)
        {
            error = Messages.ProxyV1MissingFields;
            return ProxyParseStatus.Invalid;
        }

        header = new ProxyHeader(1, v6 ? "TCP6" : "TCP4", source, sourcePort, destination, destinationPort, []);
        return ProxyParseStatus.Complete;
    }

    /// <summary>Longest address text: 15 for IPv4; 45 for IPv6 (eight groups, or six and an IPv4 tail).</summary>
    private static int MaxV1AddressLength(bool v6) => v6 ? 45 : 15;

    private static bool CouldBeV1Address(ReadOnlySpan<byte> text, bool v6) =>
        text.Length <= MaxV1AddressLength(v6) && !text.ContainsAnyExcept(v6 ? IPv6Characters : IPv4Characters);

    /// <summary>A whole address of the line's family, parsed as strictly as <c>inet_pton</c> (no leading zeros in IPv4).</summary>
    private static InternetAddress? ParseV1Address(ReadOnlySpan<byte> text, bool v6)
    {
        if (!CouldBeV1Address(text, v6))
        {
            return null;
        }

        var address = InternetAddress.TryParse(Encoding.ASCII.GetString(text));
        return address?.Type == (v6 ? InternetAddressType.IPv6 : InternetAddressType.IPv4) ? address : null;
    }

    /// <summary>The value of a port's digits so far (0 for none), or -1 when they cannot begin a port.</summary>
    private static int ParseV1PortPrefix(ReadOnlySpan<byte> text)
    {
        if (text.Length > 5 || text.ContainsAnyExcept(Digits) || text.Length > 1 && text[0] == '0')
        {
            return -1;
        }

        var value = 0;
        foreach (var digit in text)
        {
            value = value * 10 + (digit - '0');
        }

        return value <= ushort.MaxValue ? value : -1;
    }

    private static ProxyParseStatus ParseV2(ReadOnlySpan<byte> data, out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;

        // Each fixed field is checked as soon as it is in, so a bad header is refused without waiting for the rest.
        int command = 0, family = 0, transport = 0;
        if (data.Length > 12)
        {
            var version = data[12] >> 4;
            command = data[12] & 0x0F;
            if (version != 2)
            {
                error = Messages.ProxyV2BadVersion(version);
                return ProxyParseStatus.Invalid;
            }

            if (command > 1)
            {
                error = Messages.ProxyV2BadCommand(command);
                return ProxyParseStatus.Invalid;
            }
        }

        if (data.Length > 13)
        {
            family = data[13] >> 4;
            transport = data[13] & 0x0F;
            if (family > 3)
            {
                error = Messages.ProxyV2BadFamily(family);
                return ProxyParseStatus.Invalid;
            }

            if (transport > 2)
            {
                error = Messages.ProxyV2BadTransport(transport);
                return ProxyParseStatus.Invalid;
            }
        }

        if (data.Length < V2FixedLength)
        {
            return ProxyParseStatus.Incomplete;
        }

        var blockLength = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (blockLength > V2MaxBlockLength)
        {
            error = Messages.ProxyV2Oversized(V2FixedLength + blockLength, V2MaxLength);
            return ProxyParseStatus.Invalid;
        }

        length = V2FixedLength + blockLength;
        if (data.Length < length)
        {
            return ProxyParseStatus.Incomplete;
        }

        var whole = data[..length];
        var addressLength = (family, transport) switch
        {
            (0, 0) => 0,
            (1, 1 or 2) => 12,
            (2, 1 or 2) => 36,
            (3, 1 or 2) => 2 * UnixAddressLength,
            _ => -1, // an unspecified family or transport with a specified other half: no layout to read
        };
        IReadOnlyList<KeyValuePair<byte, ReadOnlyMemory<byte>>> tlvs = [];
        if (command == 0 || addressLength <= 0)
        {
            // LOCAL, or no addresses: the real endpoints stand, and the block is to be ignored, so it cannot make the
            // header invalid; TLVs after the family's address block are kept when they are well formed.
            if (addressLength < 0 || blockLength < addressLength || !TryReadTlvs(whole, V2FixedLength + addressLength, out tlvs, out _))
            {
                tlvs = [];
            }

            header = new ProxyHeader(2, command == 0 ? "LOCAL" : "UNSPEC", null, 0, null, 0, tlvs);
            return ProxyParseStatus.Complete;
        }

        if (blockLength < addressLength)
        {
            error = Messages.ProxyV2AddressesPastEnd(addressLength, blockLength);
            length = 0;
            return ProxyParseStatus.Invalid;
        }

        if (!TryReadTlvs(whole, V2FixedLength + addressLength, out tlvs, out error))
        {
            length = 0;
            return ProxyParseStatus.Invalid;
        }

        var addresses = whole[V2FixedLength..];
        header = family switch
        {
            1 => new ProxyHeader(2, transport == 1 ? "TCP4" : "UDP4",
                InternetAddress.FromRawAddress(addresses[..4].ToArray()), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..]),
                InternetAddress.FromRawAddress(addresses[4..8].ToArray()), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..]), tlvs),
            2 => new ProxyHeader(2, transport == 1 ? "TCP6" : "UDP6",
                InternetAddress.FromRawAddress(addresses[..16].ToArray()), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..]),
                InternetAddress.FromRawAddress(addresses[16..32].ToArray()), BinaryPrimitives.ReadUInt16BigEndian(addresses[34..]), tlvs),
            _ => new ProxyHeader(2, transport == 1 ? "UNIX-STREAM" : "UNIX-DGRAM",
                UnixAddress(addresses[..UnixAddressLength]), 0, UnixAddress(addresses[UnixAddressLength..(2 * UnixAddressLength)]), 0, tlvs),
        };
        return ProxyParseStatus.Complete;
    }

    /// <summary>
    /// A <c>sun_path</c> of 108 bytes: the path up to its first NUL, or for an abstract socket (a leading NUL) the
    /// name after it without the padding, written <c>@name</c> as .NET and <c>ss</c> write it.
    /// </summary>
    private static InternetAddress UnixAddress(ReadOnlySpan<byte> raw)
    {
        if (raw[0] != 0)
        {
            var end = raw.IndexOf((byte)0);
            return InternetAddress.FromRawAddress((end < 0 ? raw : raw[..end]).ToArray(), InternetAddressType.Unix);
        }

        var name = raw[1..];
        name = name[..(name.LastIndexOfAnyExcept((byte)0) + 1)];
        return InternetAddress.FromRawAddress(name.IsEmpty ? [] : [(byte)'@', .. name], InternetAddressType.Unix);
    }

    /// <summary>
    /// The TLVs from <paramref name="start"/> to the end of <paramref name="header"/>, each within it, with their
    /// values copied out of the caller's buffer (one array for all); CRC32C TLVs checked against the header.
    /// </summary>
    private static bool TryReadTlvs(ReadOnlySpan<byte> header, int start, out IReadOnlyList<KeyValuePair<byte, ReadOnlyMemory<byte>>> tlvs, out string? error)
    {
        tlvs = [];
        error = null;
        var count = 0;
        for (var offset = start; offset < header.Length; count++)
        {
            if (header.Length - offset < 3 || header.Length - offset - 3 < BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]))
            {
                error = Messages.ProxyV2TlvPastEnd;
                return false;
            }

            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]);
            if (header[offset] == Crc32CType)
            {
                if (valueLength != 4)
                {
                    error = Messages.ProxyV2ChecksumLength;
                    return false;
                }

                if (Crc32C(header, offset + 3) != BinaryPrimitives.ReadUInt32BigEndian(header[(offset + 3)..]))
                {
                    error = Messages.ProxyV2ChecksumMismatch;
                    return false;
                }
            }

            offset += 3 + valueLength;
        }

        if (count == 0)
        {
            return true;
        }

        var values = header[start..].ToArray();
        var entries = new KeyValuePair<byte, ReadOnlyMemory<byte>>[count];
        for (int offset = 0, i = 0; i < count; i++)
        {
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(values.AsSpan(offset + 1));
            entries[i] = new KeyValuePair<byte, ReadOnlyMemory<byte>>(values[offset], values.AsMemory(offset + 3, valueLength));
            offset += 3 + valueLength;
        }

        tlvs = Array.AsReadOnly(entries);
        return true;
    }

    /// <summary>CRC32C (RFC 4960 appendix B) of the header with the four checksum bytes at <paramref name="checksumAt"/> taken as zeros.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> header, int checksumAt)
    {
        var crc = uint.MaxValue;
        for (var i = 0; i < header.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, i >= checksumAt && i < checksumAt + 4 ? (byte)0 : header[i]);
        }

        return ~crc;
    }
}
