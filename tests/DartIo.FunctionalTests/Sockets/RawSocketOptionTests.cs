using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Sockets;

/// <summary><c>SetRawOption</c> / <c>GetRawOption</c> on real sockets, with Linux's option numbers.</summary>
public sealed class RawSocketOptionTests
{
    private const int SoKeepAlive = 9; // SOL_SOCKET
    private const int TcpKeepIdle = 4; // IPPROTO_TCP

    [Fact]
    public async Task SetRawOption_KeepAliveAndKeepIdle_ReadBackAsSet()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
        var accepted = (await accept.Within())!;

        var keepAlive = RawSocketOption.FromBool(RawSocketOption.LevelSocket, SoKeepAlive, true);
        Assert.Equal(0, RawSocketOption.ToInt(client.GetRawOption(keepAlive))); // off until set
        client.SetRawOption(keepAlive);
        client.SetRawOption(RawSocketOption.FromInt(RawSocketOption.LevelTcp, TcpKeepIdle, 77));

        Assert.Equal(1, RawSocketOption.ToInt(client.GetRawOption(keepAlive)));
        Assert.Equal(77, RawSocketOption.ToInt(client.GetRawOption(new RawSocketOption(RawSocketOption.LevelTcp, TcpKeepIdle, new byte[4]))));
        Assert.Equal(0, RawSocketOption.ToInt(accepted.GetRawOption(keepAlive))); // the other end's socket is its own
        accepted.Destroy();
    }

    [Fact]
    public async Task SetRawOption_OptionTheOsDoesNotKnow_ThrowsNetworkExceptionNamingIt()
    {
        await using var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0).Within();
        var accept = server.AcceptAsync();
        await using var client = await SocketConnection.ConnectAsync(InternetAddress.LoopbackIPv4, server.Port).Within();
        (await accept.Within())!.Destroy();

        var error = Assert.Throws<NetworkException>(() => client.SetRawOption(RawSocketOption.FromInt(RawSocketOption.LevelTcp, 9999, 1)));

        Assert.Contains("level 6, option 9999", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.OSError);
        Assert.Throws<NetworkException>(() => client.GetRawOption(RawSocketOption.FromInt(RawSocketOption.LevelTcp, 9999, 0)));
    }

    [Fact]
    public void RawSocketOption_Value_IsACopyAndFromIntIsHostOrder()
    {
        var bytes = new byte[] { 1, 2, 3, 4 };
        var option = new RawSocketOption(RawSocketOption.LevelIPv4, 1, bytes);
        bytes[0] = 9;
        option.Value[1] = 9;

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, option.Value);
        Assert.Equal(BitConverter.GetBytes(0x01020304), RawSocketOption.FromInt(RawSocketOption.LevelIPv6, 2, 0x01020304).Value);
        Assert.Equal(BitConverter.GetBytes(1), RawSocketOption.FromBool(RawSocketOption.LevelTcp, 1, true).Value);
        Assert.Equal((0, 41, 6), (RawSocketOption.LevelIPv4, RawSocketOption.LevelIPv6, RawSocketOption.LevelTcp));
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0xFFFF, RawSocketOption.LevelSocket);
    }
}
