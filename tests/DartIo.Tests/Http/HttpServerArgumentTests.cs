namespace DartIo.Tests.Http;

public sealed class HttpServerArgumentTests
{
    [Fact]
    public void BindAsync_PortOutOfRange_ThrowsSynchronouslyNamingPort()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = HttpServer.BindAsync("localhost", 65536); });

        Assert.Equal("port", error.ParamName);
    }

    [Fact]
    public void BindAsync_NegativeBacklog_ThrowsSynchronouslyNamingBacklog()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0, backlog: -1); });

        Assert.Equal("backlog", error.ParamName);
    }

    [Fact]
    public void BindAsync_NullAddress_ThrowsSynchronously()
    {
        Assert.Throws<ArgumentNullException>(() => { _ = HttpServer.BindAsync((string)null!, 0); });
        Assert.Throws<ArgumentNullException>(() => { _ = HttpServer.BindAsync((InternetAddress)null!, 0); });
    }

    [Fact]
    public void BindSecureAsync_NullContextOrName_ThrowsSynchronously()
    {
        Assert.Throws<ArgumentNullException>(() => { _ = HttpServer.BindSecureAsync("localhost", 0, (SecurityContext)null!); });
        Assert.Throws<ArgumentNullException>(() => { _ = HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, 0, (string)null!); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = HttpServer.BindSecureAsync("localhost", -1, "web"); });
    }

    [Fact]
    public void ListenOn_NullSocket_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => HttpServer.ListenOn(null!));
    }
}
