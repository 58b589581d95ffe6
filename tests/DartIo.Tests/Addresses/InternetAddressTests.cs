using System.Net;

namespace DartIo.Tests.Addresses;

public class InternetAddressTests
{
    [Theory]
    [InlineData("127.0.0.1", InternetAddressType.IPv4, new byte[] { 127, 0, 0, 1 })]
    [InlineData("0.0.0.0", InternetAddressType.IPv4, new byte[] { 0, 0, 0, 0 })]
    [InlineData("255.255.255.255", InternetAddressType.IPv4, new byte[] { 255, 255, 255, 255 })]
    [InlineData("::1", InternetAddressType.IPv6, new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData("::ffff:1.2.3.4", InternetAddressType.IPv6, new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 })]
    public void Constructor_NumericText_ParsesTypeAndBytesAndKeepsTheText(string text, InternetAddressType type, byte[] raw)
    {
        var address = new InternetAddress(text);

        Assert.Equal(type, address.Type);
        Assert.Equal(raw, address.RawAddress);
        Assert.Equal(text, address.Address);
        Assert.Equal(text, address.Host);
    }

    [Theory]
    [InlineData("127.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("2130706431")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.0.0.1")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("::127.1")]
    [InlineData("1:::2")]
    [InlineData("[::1]")]
    [InlineData("12345::1")]
    [InlineData("fe80::1%")]
    [InlineData("1.2.3.-4")]
    public void Constructor_NotAnAddress_ThrowsAndTryParseReturnsNull(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => new InternetAddress(text));
        Assert.Equal("address", error.ParamName);
        Assert.Null(InternetAddress.TryParse(text));
    }

    [Fact]
    public void Constructor_TypeMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new InternetAddress("::1", InternetAddressType.IPv4));
        Assert.Throws<ArgumentException>(() => new InternetAddress("1.2.3.4", InternetAddressType.IPv6));
        Assert.Equal(InternetAddressType.IPv4, new InternetAddress("1.2.3.4", InternetAddressType.IPv4).Type);
    }

    [Fact]
    public void Constructor_LinkLocalWithScope_KeepsTheScope()
    {
        var address = new InternetAddress("fe80::1%1");

        Assert.Equal("fe80::1%1", address.Address);
        Assert.Equal(1, address.ToIPAddress().ScopeId);
        Assert.True(address.IsLinkLocal);
    }

    [Fact]
    public void Equality_IsTypeAndBytes_NotTextOrHost()
    {
        var shortForm = new InternetAddress("1::2");
        var longForm = new InternetAddress("1:0:0:0:0:0:0:2");

        Assert.Equal(shortForm, longForm);
        Assert.True(shortForm == longForm);
        Assert.False(shortForm != longForm);
        Assert.Equal(shortForm.GetHashCode(), longForm.GetHashCode());
        Assert.NotEqual(new InternetAddress("1.2.3.4"), new InternetAddress("::ffff:1.2.3.4"));
        Assert.Equal(InternetAddress.LoopbackIPv4, new InternetAddress("127.0.0.1"));
        Assert.False(InternetAddress.LoopbackIPv4.Equals(null));
    }

    [Theory]
    [InlineData("127.0.0.1", true, false, false)]
    [InlineData("127.255.0.9", true, false, false)]
    [InlineData("::1", true, false, false)]
    [InlineData("::2", false, false, false)]
    [InlineData("169.254.3.4", false, true, false)]
    [InlineData("169.255.3.4", false, false, false)]
    [InlineData("fe80::1", false, true, false)]
    [InlineData("febf::1", false, true, false)]
    [InlineData("fec0::1", false, false, false)]
    [InlineData("224.0.0.1", false, false, true)]
    [InlineData("239.255.255.255", false, false, true)]
    [InlineData("240.0.0.1", false, false, false)]
    [InlineData("ff02::1", false, false, true)]
    [InlineData("10.0.0.1", false, false, false)]
    public void Classification_FollowsTheRanges(string text, bool loopback, bool linkLocal, bool multicast)
    {
        var address = new InternetAddress(text);

        Assert.Equal(loopback, address.IsLoopback);
        Assert.Equal(linkLocal, address.IsLinkLocal);
        Assert.Equal(multicast, address.IsMulticast);
    }

    [Fact]
    public void Constants_AreDartsAddresses()
    {
        Assert.Equal("127.0.0.1", InternetAddress.LoopbackIPv4.Address);
        Assert.Equal("::1", InternetAddress.LoopbackIPv6.Address);
        Assert.Equal("0.0.0.0", InternetAddress.AnyIPv4.Address);
        Assert.Equal("::", InternetAddress.AnyIPv6.Address);
        Assert.Equal(InternetAddressType.IPv6, InternetAddress.AnyIPv6.Type);
    }

    [Fact]
    public void RawAddress_IsAFreshCopy()
    {
        var address = new InternetAddress("10.1.2.3");
        var raw = address.RawAddress;
        raw[0] = 99;

        Assert.Equal(10, address.RawAddress[0]);
        Assert.NotSame(address.RawAddress, address.RawAddress);
    }

    [Fact]
    public void FromRawAddress_InfersTheTypeFromTheLength()
    {
        Assert.Equal(new InternetAddress("1.2.3.4"), InternetAddress.FromRawAddress([1, 2, 3, 4]));
        Assert.Equal(InternetAddress.LoopbackIPv6, InternetAddress.FromRawAddress(IPAddress.IPv6Loopback.GetAddressBytes()));
        Assert.Equal("::1", InternetAddress.FromRawAddress(IPAddress.IPv6Loopback.GetAddressBytes()).Address);
        Assert.Throws<ArgumentException>(() => InternetAddress.FromRawAddress([1, 2, 3]));
        Assert.Throws<ArgumentException>(() => InternetAddress.FromRawAddress([1, 2, 3, 4], InternetAddressType.IPv6));
    }

    [Fact]
    public void Unix_IsAPathWithUtf8Bytes()
    {
        var address = new InternetAddress("/tmp/süd.sock", InternetAddressType.Unix);

        Assert.Equal(InternetAddressType.Unix, address.Type);
        Assert.Equal("/tmp/süd.sock", address.Address);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("/tmp/süd.sock"), address.RawAddress);
        Assert.Equal(address, InternetAddress.FromRawAddress(address.RawAddress, InternetAddressType.Unix));
        Assert.Throws<InvalidOperationException>(() => address.ToIPAddress());
        Assert.False(address.IsLoopback);
    }

    [Fact]
    public void IPAddressInterop_RoundTrips()
    {
        var ip = IPAddress.Parse("2001:db8::7");

        var address = InternetAddress.FromIPAddress(ip);

        Assert.Equal(InternetAddressType.IPv6, address.Type);
        Assert.Equal(ip, address.ToIPAddress());
        Assert.Equal(IPAddress.Loopback, InternetAddress.LoopbackIPv4.ToIPAddress());
    }

    [Fact]
    public async Task LookupAsync_NumericText_ReturnsJustThatAddressWithoutAsking()
    {
        var found = await InternetAddress.LookupAsync("10.9.8.7");

        var only = Assert.Single(found);
        Assert.Equal(new InternetAddress("10.9.8.7"), only);
    }

    [Theory]
    [InlineData("::0", "::")]
    [InlineData("0:0:0:0:0:0:0:1", "::1")]
    [InlineData("2001:DB8:0:0::1", "2001:db8::1")]
    [InlineData("::ffff:127.0.0.1", "::ffff:127.0.0.1")]
    [InlineData("fe80::0:1%lo", "fe80::1%lo")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    public async Task LookupAsync_NumericText_AnswersTheCanonicalTextAndKeepsTheQueryAsHost(string query, string canonical)
    {
        var found = await InternetAddress.LookupAsync(query);

        var only = Assert.Single(found);
        Assert.Equal(canonical, only.Address);
        Assert.Equal(query, only.Host);
        Assert.Equal(new InternetAddress(query), only);
    }

    [Fact]
    public async Task LookupAsync_Localhost_SetsHostToTheQuery()
    {
        var found = await InternetAddress.LookupAsync("localhost");

        Assert.NotEmpty(found);
        Assert.All(found, a => Assert.Equal("localhost", a.Host));
        Assert.All(found, a => Assert.True(a.IsLoopback));
    }

    [Fact]
    public async Task LookupAsync_TypeFilter_ReturnsOnlyThatType()
    {
        var found = await InternetAddress.LookupAsync("localhost", InternetAddressType.IPv4);

        Assert.All(found, a => Assert.Equal(InternetAddressType.IPv4, a.Type));
    }

    [Fact]
    public void LookupAsync_BadArguments_ThrowSynchronously()
    {
        Assert.Throws<ArgumentNullException>(() => { _ = InternetAddress.LookupAsync(null!); });
        Assert.Throws<ArgumentException>(() => { _ = InternetAddress.LookupAsync("x", InternetAddressType.Unix); });
    }

    [Fact]
    public async Task LookupAsync_NameTooLongForDns_FailsWithFailedHostLookup()
    {
        var name = new string('b', 300);

        var error = await Assert.ThrowsAsync<NetworkException>(() => InternetAddress.LookupAsync(name));

        Assert.StartsWith($"Failed host lookup: '{name}'", error.Message, StringComparison.Ordinal);
        Assert.Equal($"Failed host lookup: '{name}'", error.Reason);
    }

    [Fact]
    public async Task ReverseAsync_Loopback_FindsAName()
    {
        var reversed = await InternetAddress.LoopbackIPv4.ReverseAsync();

        Assert.Equal(InternetAddress.LoopbackIPv4, reversed);
        Assert.NotEqual("127.0.0.1", reversed.Host);
        Assert.Equal("127.0.0.1", reversed.Address);
    }

    [Fact]
    public void ToString_ReadsLikeDart()
    {
        Assert.Equal("InternetAddress('127.0.0.1', IPv4)", InternetAddress.LoopbackIPv4.ToString());
    }
}
