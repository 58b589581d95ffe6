namespace DartIo.Tests.Http;

public sealed class WebSocketUpgradeOptionsTests
{
    [Fact]
    public void Defaults_AreSixteenMebibytesTheServersIdleTimeoutAndCompression()
    {
        var options = new WebSocketUpgradeOptions();

        Assert.Equal((16L * 1024 * 1024, (TimeSpan?)null, true, false), (options.MaxMessageSize, options.IdleTimeout, options.Compression, options.ProtocolSelector is not null));
    }

    [Fact]
    public void Setters_ZeroOrNegative_ThrowAndInfiniteOrNullMeanNone()
    {
        var options = new WebSocketUpgradeOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxMessageSize = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.IdleTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.IdleTimeout = TimeSpan.FromSeconds(-2));
        options.IdleTimeout = Timeout.InfiniteTimeSpan;
        options.MaxMessageSize = null;
        Assert.Equal((Timeout.InfiniteTimeSpan, (long?)null, true), (options.IdleTimeout!.Value, options.MaxMessageSize, options.Compression));
    }
}
