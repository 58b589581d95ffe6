namespace DartIo.Tests.Sockets;

/// <summary>The protected constructor servers use to hand a connection over (HttpResponse.DetachSocketAsync).</summary>
public sealed class SocketConnectionTakeOverTests
{
    [Fact]
    public void Constructor_NullConnection_ThrowsArgumentNullNamingIt() =>
        Assert.Equal("connection", Assert.Throws<ArgumentNullException>(() => new TakenOver(null!, Stream.Null)).ParamName);

    private sealed class TakenOver(SocketConnection connection, Stream stream) : SocketConnection(connection, stream);
}
