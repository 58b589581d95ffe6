using System.Buffers.Binary;
using System.Text;

namespace DartIo.Tests.Proxy;

/// <summary>PROXY protocol headers as a sender writes them, built field by field from the specification.</summary>
internal static class ProxyHeaderBytes
{
    public static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The specification's own version 1 example (section 2.1), before an HTTP request.</summary>
    public const string V1Example = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>A version 2 header: signature, version/command byte, family/transport byte, block length, block.</summary>
    public static byte[] V2(byte versionCommand, byte familyTransport, params byte[][] block)
    {
        var body = block.SelectMany(part => part).ToArray();
        var header = new byte[16 + body.Length];
        V2Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = familyTransport;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)body.Length);
        body.CopyTo(header, 16);
        return header;
    }

    /// <summary>A PROXY command over TCP/IPv4: 0x21, 0x11, addresses, ports, then the TLVs.</summary>
    public static byte[] V2Tcp4(byte[] source, int sourcePort, byte[] destination, int destinationPort, params byte[][] tlvs) =>
        V2(0x21, 0x11, [source, destination, Port(sourcePort), Port(destinationPort), .. tlvs]);

    public static byte[] Port(int port) => [(byte)(port >> 8), (byte)port];

    /// <summary>One TLV: type, 16-bit big-endian length, value.</summary>
    public static byte[] Tlv(byte type, byte[] value) => [type, (byte)(value.Length >> 8), (byte)value.Length, .. value];

    /// <summary>A 108-byte <c>sun_path</c>: the path, NUL-padded.</summary>
    public static byte[] SunPath(byte[] path)
    {
        var raw = new byte[108];
        path.CopyTo(raw, 0);
        return raw;
    }

    /// <summary>CRC32C (Castagnoli, reflected 0x82F63B78) computed bit by bit, independently of the library's.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
