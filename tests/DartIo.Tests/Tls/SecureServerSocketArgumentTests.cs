namespace DartIo.Tests.Tls;

/// <summary>Binding validates synchronously, before anything is looked up or bound (SPEC section 2).</summary>
public sealed class SecureServerSocketArgumentTests
{
    private static readonly SecurityContext s_context = new();

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void BindAsync_PortOutOfRange_ThrowsSynchronously(int port)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port, s_context); });
        Assert.Equal("port", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SecureServerSocket.BindAsync("localhost", port, "dev"); });
    }

    [Fact]
    public void BindAsync_NegativeBacklog_ThrowsSynchronously()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, s_context, backlog: -1); });
        Assert.Equal("backlog", error.ParamName);
    }

    [Fact]
    public void BindAsync_NullAddressOrCertificateName_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => { _ = SecureServerSocket.BindAsync((string)null!, 0, s_context); });
        Assert.Throws<ArgumentNullException>(() => { _ = SecureServerSocket.BindAsync((InternetAddress)null!, 0, "dev"); });
        Assert.Throws<ArgumentNullException>(() => { _ = SecureServerSocket.BindAsync("localhost", 0, (string)null!); });
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void BindAsync_BadAlpnName_ArgumentExceptionNamingSupportedProtocols(string? name)
    {
        var error = Assert.Throws<ArgumentException>(() => { _ = SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, s_context,
            supportedProtocols: [name!]); });
        Assert.Equal("supportedProtocols", error.ParamName);
    }

    [Fact]
    public void ConnectAsync_BadArguments_ThrowSynchronously()
    {
        Assert.Throws<ArgumentNullException>(() => { _ = SecureSocketConnection.ConnectAsync((string)null!, 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = SecureSocketConnection.ConnectAsync("localhost", 70000); });
        Assert.Throws<ArgumentException>(() => { _ = SecureSocketConnection.ConnectAsync("localhost", 1, supportedProtocols: [new string('x', 300)]); });
    }

    [Theory]
    [InlineData("CN=host", true)]
    [InlineData("O=Org, CN=host", true)]
    [InlineData("cn = host", true)]
    [InlineData("dev", false)]
    [InlineData("my-CN=thing", false)]
    public void IsDistinguishedName_NameWithCnAttribute_TreatedAsADistinguishedName(string name, bool expected) =>
        Assert.Equal(expected, DartIo.Internal.Tls.DistinguishedName.IsDistinguishedName(name));
}
