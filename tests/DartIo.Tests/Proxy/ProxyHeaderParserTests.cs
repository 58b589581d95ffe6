using System.Buffers.Binary;
using System.Text;
using DartIo.Internal.Proxy;
using static DartIo.Tests.Proxy.ProxyHeaderBytes;

namespace DartIo.Tests.Proxy;

public class ProxyHeaderParserTests
{
    private const string V1Worst107 = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

    private static readonly byte[] Source4 = [203, 0, 113, 7];
    private static readonly byte[] Destination4 = [192, 0, 2, 1];

    private static ProxyHeader ParseComplete(byte[] data, int expectedLength)
    {
        var status = ProxyHeaderParser.Parse(data, out var header, out var length, out var error);
        Assert.True(status == ProxyParseStatus.Complete, $"{status}: {error}");
        Assert.Equal(expectedLength, length);
        Assert.Null(error);
        return header!;
    }

    private static string ParseInvalid(byte[] data)
    {
        var status = ProxyHeaderParser.Parse(data, out var header, out _, out var error);
        Assert.Equal(ProxyParseStatus.Invalid, status);
        Assert.Null(header);
        Assert.False(string.IsNullOrEmpty(error));
        return error!;
    }

    private static void AssertEveryPrefixIncomplete(byte[] header)
    {
        for (var n = 0; n < header.Length; n++)
        {
            var status = ProxyHeaderParser.Parse(header.AsSpan(0, n), out var parsed, out _, out var error);
            Assert.True(status == ProxyParseStatus.Incomplete, $"prefix of {n} bytes: {status} ({error})");
            Assert.Null(parsed);
        }
    }

    // Version 1.

    [Fact]
    public void Parse_V1SpecificationExample_ReadsAddressesAndPortsAndStopsAtTheCrlf()
    {
        var data = Ascii(V1Example + "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n");

        var header = ParseComplete(data, V1Example.Length);

        Assert.Equal(1, header.Version);
        Assert.False(header.IsLocal);
        Assert.Equal(new InternetAddress("192.168.0.1"), header.SourceAddress);
        Assert.Equal(56324, header.SourcePort);
        Assert.Equal(new InternetAddress("192.168.0.11"), header.DestinationAddress);
        Assert.Equal(443, header.DestinationPort);
        Assert.Empty(header.Tlvs);
        Assert.Equal("PROXY v1 TCP4 192.168.0.1:56324 -> 192.168.0.11:443", header.ToString());
    }

    [Fact]
    public void Parse_V1Tcp4AtItsLongest_Is56BytesAndComplete()
    {
        const string line = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";

        var header = ParseComplete(Ascii(line), 56);

        Assert.Equal(new InternetAddress("255.255.255.255"), header.SourceAddress);
        Assert.Equal(65535, header.DestinationPort);
    }

    [Theory]
    [InlineData("PROXY TCP6 2001:db8::1 ::1 1024 0\r\n", "2001:db8::1", "::1")]
    [InlineData("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 1024 0\r\n",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("PROXY TCP6 ::ffff:198.51.100.4 2001:db8:0:0:0:0:0:2 1024 0\r\n", "::ffff:198.51.100.4", "2001:db8::2")]
    public void Parse_V1Tcp6_ReadsIPv6Addresses(string line, string source, string destination)
    {
        var header = ParseComplete(Ascii(line + "payload"), line.Length);

        Assert.Equal(new InternetAddress(source), header.SourceAddress);
        Assert.Equal(InternetAddressType.IPv6, header.SourceAddress!.Type);
        Assert.Equal(new InternetAddress(destination), header.DestinationAddress);
        Assert.Equal(1024, header.SourcePort);
        Assert.Equal(0, header.DestinationPort);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY UNKNOWN anything at all, even not addresses\r\n")]
    public void Parse_V1Unknown_HasNoAddressesWhateverFollows(string line)
    {
        var header = ParseComplete(Ascii(line + "GET /"), line.Length);

        Assert.Equal(1, header.Version);
        Assert.True(header.IsLocal);
        Assert.Null(header.SourceAddress);
        Assert.Null(header.DestinationAddress);
        Assert.Equal(0, header.SourcePort);
        Assert.Equal("PROXY v1 UNKNOWN", header.ToString());
    }

    [Fact]
    public void Parse_V1LineOf107Bytes_IsComplete()
    {
        Assert.Equal(107, V1Worst107.Length);

        var header = ParseComplete(Ascii(V1Worst107 + "x"), 107);

        Assert.True(header.IsLocal);
    }

    [Theory]
    [InlineData(V1Worst107)]
    [InlineData(V1Worst107 + "more bytes after it")]
    public void Parse_V1LineOf108Bytes_IsInvalidEvenWithTheCrlfStillToCome(string lineOf107)
    {
        var longer = lineOf107.Insert(14, "f"); // the CR moves to offset 106, the LF to 107: 108 bytes

        Assert.Contains("107", ParseInvalid(Ascii(longer)), StringComparison.Ordinal);
        Assert.Contains("107", ParseInvalid(Ascii(longer[..107])), StringComparison.Ordinal);
        Assert.Contains("107", ParseInvalid(Ascii("PROXY UNKNOWN " + new string('1', 200))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(V1Example)]
    [InlineData("PROXY TCP6 2001:db8::1 ::1 1024 0\r\n")]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData(V1Worst107)]
    public void Parse_V1CutAnywhereBeforeItsEnd_IsIncomplete(string line) => AssertEveryPrefixIncomplete(Ascii(line));

    [Theory]
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "protocol")]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "protocol")]
    [InlineData("PROXY UNKNOWNX\r\n", "protocol")]
    [InlineData("PROXY \r\n", "empty field")]
    [InlineData("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "empty field")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "empty field")]
    [InlineData("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", "destination address")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 fe80::1%2 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 1 2\r\n", "destination address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n", "destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "ends before")]
    [InlineData("PROXY TCP4\r\n", "ends before")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "more than")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "CR or LF")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR or LF")]
    [InlineData("PROXY TCP4 1.2.3.4\r 5.6.7.8 1 2\r\n", "CR or LF")]
    [InlineData("PROXY UNKNOWN\n\r\n", "CR or LF")]
    [InlineData("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not followed by a space")]
    [InlineData("PROXY\r\n", "not followed by a space")]
    public void Parse_V1BadLine_IsInvalidAndSaysWhy(string line, string reason)
    {
        Assert.Contains(reason, ParseInvalid(Ascii(line)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PROXY TCP9")]
    [InlineData("PROXY UDP4 ")]
    [InlineData("PROXY TCP4 1.2.3.4x")]
    [InlineData("PROXY TCP4 1.2.3.4.5.6.7.8.9.10")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 99999")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3")]
    [InlineData("PROXY TCP4 1.2.3.4  ")]
    public void Parse_V1BadLineWithoutItsCrlfYet_IsInvalidAtOnce(string start)
    {
        ParseInvalid(Ascii(start));
    }

    [Fact]
    public void Parse_V1PeerBytesInTheLine_AreNotQuotedInTheReason()
    {
        var error = ParseInvalid(Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 {evil}\r\n"));

        Assert.DoesNotContain("evil", error, StringComparison.Ordinal);
    }

    // Version 2.

    [Fact]
    public void Parse_V2Local_HasNoAddressesAndIs16Bytes()
    {
        var header = ParseComplete([.. V2(0x20, 0x00), .. Ascii("GET /")], 16);

        Assert.Equal(2, header.Version);
        Assert.True(header.IsLocal);
        Assert.Null(header.SourceAddress);
        Assert.Empty(header.Tlvs);
        Assert.Equal("PROXY v2 LOCAL", header.ToString());
    }

    [Fact]
    public void Parse_V2LocalWithAddresses_DiscardsThemAndKeepsTheTlvs()
    {
        var data = V2(0x20, 0x11, Source4, Destination4, Port(1), Port(2), Tlv(0x05, [1, 2, 3]));

        var header = ParseComplete(data, data.Length);

        Assert.True(header.IsLocal);
        Assert.Null(header.SourceAddress);
        Assert.Null(header.DestinationAddress);
        var tlv = Assert.Single(header.Tlvs);
        Assert.Equal(0x05, tlv.Key);
        Assert.Equal([1, 2, 3], tlv.Value.ToArray());
    }

    [Fact]
    public void Parse_V2LocalUnspecWithTlvs_ReadsTheTlvsRightAfterTheFixedPart()
    {
        // HAProxy's health checks with send-proxy-v2: LOCAL, AF_UNSPEC, and TLVs from byte 17.
        var data = V2(0x20, 0x00, Tlv(0x01, Ascii("h2")));

        var header = ParseComplete(data, data.Length);

        Assert.True(header.IsLocal);
        Assert.Equal(Ascii("h2"), Assert.Single(header.Tlvs).Value.ToArray());
    }

    [Theory]
    [InlineData(0x11, "TCP4")]
    [InlineData(0x12, "UDP4")]
    public void Parse_V2ProxyOverIPv4_ReadsAddressesAndPorts(byte familyTransport, string protocol)
    {
        byte[] data = [.. V2(0x21, familyTransport, Source4, Destination4, Port(56324), Port(443)), .. Ascii("GET /")];

        var header = ParseComplete(data, 28);

        Assert.Equal(2, header.Version);
        Assert.False(header.IsLocal);
        Assert.Equal(new InternetAddress("203.0.113.7"), header.SourceAddress);
        Assert.Equal(56324, header.SourcePort);
        Assert.Equal(new InternetAddress("192.0.2.1"), header.DestinationAddress);
        Assert.Equal(443, header.DestinationPort);
        Assert.Empty(header.Tlvs);
        Assert.Equal($"PROXY v2 {protocol} 203.0.113.7:56324 -> 192.0.2.1:443", header.ToString());
    }

    [Theory]
    [InlineData(0x21, "TCP6")]
    [InlineData(0x22, "UDP6")]
    public void Parse_V2ProxyOverIPv6_ReadsAddressesAndPorts(byte familyTransport, string protocol)
    {
        var source = new InternetAddress("2001:db8::7").RawAddress;
        var destination = InternetAddress.LoopbackIPv6.RawAddress;
        var data = V2(0x21, familyTransport, source, destination, Port(65535), Port(8443));

        var header = ParseComplete(data, 52);

        Assert.Equal(new InternetAddress("2001:db8::7"), header.SourceAddress);
        Assert.Equal(65535, header.SourcePort);
        Assert.Equal(InternetAddress.LoopbackIPv6, header.DestinationAddress);
        Assert.Equal(8443, header.DestinationPort);
        Assert.Equal($"PROXY v2 {protocol} [2001:db8::7]:65535 -> [::1]:8443", header.ToString());
    }

    [Theory]
    [InlineData(0x31, "UNIX-STREAM")]
    [InlineData(0x32, "UNIX-DGRAM")]
    public void Parse_V2ProxyOverUnix_ReadsThePathsWithoutPorts(byte familyTransport, string protocol)
    {
        var data = V2(0x21, familyTransport, SunPath(Ascii("/run/client.sock")), SunPath(Ascii("/run/haproxy.sock")));

        var header = ParseComplete(data, 16 + 216);

        Assert.False(header.IsLocal);
        Assert.Equal(InternetAddressType.Unix, header.SourceAddress!.Type);
        Assert.Equal("/run/client.sock", header.SourceAddress.Address);
        Assert.Equal("/run/haproxy.sock", header.DestinationAddress!.Address);
        Assert.Equal(0, header.SourcePort);
        Assert.Equal(0, header.DestinationPort);
        Assert.Equal($"PROXY v2 {protocol} unix:/run/client.sock -> unix:/run/haproxy.sock", header.ToString());
    }

    [Fact]
    public void Parse_V2UnixAbstractName_IsWrittenWithAnAt()
    {
        var data = V2(0x21, 0x31, SunPath([0, .. Ascii("haproxy-peer")]), SunPath([]));

        var header = ParseComplete(data, data.Length);

        Assert.Equal("@haproxy-peer", header.SourceAddress!.Address);
        Assert.Equal(string.Empty, header.DestinationAddress!.Address);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x10)]
    [InlineData(0x01)]
    [InlineData(0x30)]
    public void Parse_V2ProxyUnspecified_HasNoAddressesAndItsBlockIsIgnored(byte familyTransport)
    {
        var data = V2(0x21, familyTransport, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]); // not TLV-shaped: 0x01 of 0x0203 bytes

        var header = ParseComplete(data, 28);

        Assert.True(header.IsLocal);
        Assert.Null(header.SourceAddress);
        Assert.Empty(header.Tlvs);
        Assert.Equal("PROXY v2 UNSPEC", header.ToString());
    }

    [Fact]
    public void Parse_V2ProxyUnspecWithTlvs_KeepsThem()
    {
        var data = V2(0x21, 0x00, Tlv(0x05, [9]), Tlv(0x04, []));

        var header = ParseComplete(data, data.Length);

        Assert.True(header.IsLocal);
        Assert.Equal([(byte)0x05, (byte)0x04], header.Tlvs.Select(tlv => tlv.Key));
    }

    [Theory]
    [InlineData(0x00, 5)]
    [InlineData(0x11, 4)]
    [InlineData(0x21, 40)]
    public void Parse_V2LocalWithABlockThatIsNeitherAddressesNorTlvs_IsAcceptedWithoutTlvs(byte familyTransport, int blockLength)
    {
        var block = Enumerable.Repeat((byte)0xAB, blockLength).ToArray();
        byte[] data = [.. V2(0x20, familyTransport, block), .. Ascii("GET /")];

        var header = ParseComplete(data, 16 + blockLength);

        Assert.True(header.IsLocal);
        Assert.Empty(header.Tlvs);
    }

    [Fact]
    public void Parse_V2WithSeveralTlvs_KeepsThemInOrderAsSentIncludingAnEmptyOne()
    {
        byte[] payload = Ascii("\x16\x03\x01");
        var data = V2Tcp4(Source4, 1, Destination4, 2,
            Tlv(0x01, Ascii("h2")), Tlv(0x04, []), Tlv(0x02, Ascii("example.com")), Tlv(0xE0, [0xFF, 0x00]), Tlv(0x05, new byte[128]));

        var header = ParseComplete([.. data, .. payload], data.Length);

        Assert.Collection(header.Tlvs,
            tlv => { Assert.Equal(0x01, tlv.Key); Assert.Equal(Ascii("h2"), tlv.Value.ToArray()); },
            tlv => { Assert.Equal(0x04, tlv.Key); Assert.True(tlv.Value.IsEmpty); },
            tlv => { Assert.Equal(0x02, tlv.Key); Assert.Equal(Ascii("example.com"), tlv.Value.ToArray()); },
            tlv => { Assert.Equal(0xE0, tlv.Key); Assert.Equal([0xFF, 0x00], tlv.Value.ToArray()); },
            tlv => { Assert.Equal(0x05, tlv.Key); Assert.Equal(128, tlv.Value.Length); });
        Assert.Equal("PROXY v2 TCP4 203.0.113.7:1 -> 192.0.2.1:2 (5 TLVs)", header.ToString());
    }

    [Fact]
    public void Parse_V2Tlvs_AreCopiesThatOutliveTheCallersBuffer()
    {
        var data = V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x02, Ascii("example.com")));

        var header = ParseComplete(data, data.Length);
        Array.Clear(data);

        Assert.Equal("example.com", Encoding.ASCII.GetString(Assert.Single(header.Tlvs).Value.Span));
    }

    [Fact]
    public void Parse_V2CutAnywhereBeforeItsEnd_IsIncompleteAndKnowsItsLengthFromByte16()
    {
        var data = V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x01, Ascii("h2")), Tlv(0x04, []));

        AssertEveryPrefixIncomplete(data);
        for (var n = 16; n < data.Length; n++)
        {
            ProxyHeaderParser.Parse(data.AsSpan(0, n), out _, out var length, out _);
            Assert.Equal(data.Length, length);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Parse_V2TlvRunningPastTheEnd_IsInvalid(int missing)
    {
        var tlv = Tlv(0x02, Ascii("example.com"));
        var data = V2Tcp4(Source4, 1, Destination4, 2, tlv);
        // Shorten the block length so that the TLV's value runs past the end of the header, and send the bytes anyway.
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(14), (ushort)(data.Length - 16 - missing));

        Assert.Contains("TLV", ParseInvalid(data), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Parse_V2TrailingBytesTooShortForATlv_AreInvalid(int trailing)
    {
        var data = V2Tcp4(Source4, 1, Destination4, 2, new byte[trailing]);

        Assert.Contains("TLV", ParseInvalid(data), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x11, 8)]
    [InlineData(0x21, 12)]
    [InlineData(0x31, 200)]
    public void Parse_V2AddressesLongerThanTheBlock_AreInvalid(byte familyTransport, int blockLength)
    {
        var data = V2(0x21, familyTransport, new byte[blockLength]);

        Assert.Contains("addresses need", ParseInvalid(data), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_V2AtTheCap_IsCompleteAndOneByteMoreIsOversizedFromItsFixedPartAlone()
    {
        var atCap = V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x04, new byte[ProxyHeaderParser.V2MaxBlockLength - 12 - 3]));
        Assert.Equal(ProxyHeaderParser.V2MaxLength, atCap.Length);
        ParseComplete(atCap, atCap.Length);

        var over = V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x04, new byte[ProxyHeaderParser.V2MaxBlockLength - 12 - 2]));

        Assert.Contains("oversized: 4113 bytes, more than the 4112", ParseInvalid(over[..16]), StringComparison.Ordinal);
        var largest = V2(0x21, 0x11);
        BinaryPrimitives.WriteUInt16BigEndian(largest.AsSpan(14), ushort.MaxValue);
        ParseInvalid(largest);
    }

    [Theory]
    [InlineData(0x11, "version 1")]
    [InlineData(0x31, "version 3")]
    [InlineData(0x01, "version 0")]
    [InlineData(0x22, "command is 2")]
    [InlineData(0x2F, "command is 15")]
    public void Parse_V2BadVersionOrCommand_IsInvalidFrom13Bytes(byte versionCommand, string reason)
    {
        var data = V2(versionCommand, 0x11, Source4, Destination4, Port(1), Port(2));

        Assert.Contains(reason, ParseInvalid(data), StringComparison.Ordinal);
        Assert.Contains(reason, ParseInvalid(data[..13]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x41, "family is 4")]
    [InlineData(0xF1, "family is 15")]
    [InlineData(0x13, "transport is 3")]
    [InlineData(0x1F, "transport is 15")]
    public void Parse_V2BadFamilyOrTransport_IsInvalidFrom14Bytes(byte familyTransport, string reason)
    {
        var data = V2(0x21, familyTransport, new byte[12]);

        Assert.Contains(reason, ParseInvalid(data), StringComparison.Ordinal);
        Assert.Contains(reason, ParseInvalid(data[..14]), StringComparison.Ordinal);
        Assert.Contains(reason, ParseInvalid(V2(0x20, familyTransport)), StringComparison.Ordinal); // LOCAL too
    }

    [Fact]
    public void Parse_V2WithAGoodCrc32C_IsCompleteAndABadOneIsInvalid()
    {
        Assert.Equal(0xE3069283u, Crc32C(Ascii("123456789"))); // the test's own CRC32C, against the standard check value
        var data = V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x02, Ascii("example.com")), Tlv(0x03, new byte[4]));
        var checksumAt = data.Length - 4;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(checksumAt), Crc32C(data));

        ParseComplete(data, data.Length);

        data[checksumAt + 3] ^= 1;
        Assert.Contains("CRC32C", ParseInvalid(data), StringComparison.Ordinal);
        Assert.Contains("4 bytes", ParseInvalid(V2Tcp4(Source4, 1, Destination4, 2, Tlv(0x03, new byte[3]))), StringComparison.Ordinal);
    }

    // Signatures: what is a header, what may become one, what cannot.

    [Fact]
    public void Parse_V2SignatureWithAWrongByte_IsNotProxy()
    {
        var data = V2Tcp4(Source4, 1, Destination4, 2);
        data[10] = (byte)'X'; // "QUIX"

        Assert.Equal(ProxyParseStatus.NotProxy, ProxyHeaderParser.Parse(data, out _, out _, out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("PROPFIND / HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("\r\n\r\nGET")]
    [InlineData("Q")]
    public void Parse_OtherProtocols_AreNotProxy(string start)
    {
        var status = ProxyHeaderParser.Parse(Ascii(start), out var header, out var length, out var error);

        Assert.Equal(ProxyParseStatus.NotProxy, status);
        Assert.Null(header);
        Assert.Equal(0, length);
        Assert.Null(error);
    }

    [Fact]
    public void Parse_TlsClientHello_IsNotProxy()
    {
        byte[] clientHello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03];

        Assert.Equal(ProxyParseStatus.NotProxy, ProxyHeaderParser.Parse(clientHello, out _, out _, out _));
        Assert.Equal(ProxyParseStatus.NotProxy, ProxyHeaderParser.Parse(clientHello.AsSpan(0, 1), out _, out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("P")]
    [InlineData("PROX")]
    [InlineData("PROXY")]
    [InlineData("PROXY ")]
    [InlineData("\r")]
    [InlineData("\r\n\r\n")]
    [InlineData("\r\n\r\n\0\r\nQUIT")]
    [InlineData("\r\n\r\n\0\r\nQUIT\n")]
    public void Parse_PrefixesOfASignature_AreIncomplete(string start)
    {
        var status = ProxyHeaderParser.Parse(Ascii(start), out var header, out _, out _);

        Assert.Equal(ProxyParseStatus.Incomplete, status);
        Assert.Null(header);
    }
}
