using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using static DartIo.Tests.Proxy.ProxyHeaderBytes;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// PROXY headers that are well formed but unusual, as real proxies send them: a server must serve them (or refuse the
/// connection cleanly), and one such connection must never cost the server its close or its places.
/// </summary>
public sealed class HostileProxyHeaderTests
{
    /// <summary>
    /// Unix-family sources a proxy listening on a Unix socket sends: an unnamed client (the usual case: a client
    /// socket that never bound has an empty <c>sun_path</c>), a path that fills all 108 bytes without a NUL, and a
    /// path that is not UTF-8, and an abstract name of the full 107 bytes.
    /// </summary>
    public static TheoryData<string> UnixSources => ["unnamed", "108-bytes", "not-utf8", "abstract-107"];

    private static byte[] UnixSource(string kind) => kind switch
    {
        "unnamed" => SunPath([]),
        "108-bytes" => Enumerable.Repeat((byte)'a', 108).ToArray(),
        "not-utf8" => SunPath([(byte)'/', .. Enumerable.Repeat((byte)0xFF, 60)]),
        "abstract-107" => [0, .. Enumerable.Repeat((byte)'a', 107)],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static byte[] UnixHeader(string kind) => V2(0x21, 0x31, UnixSource(kind), SunPath(Ascii("/run/haproxy.sock")));

    [Theory]
    [MemberData(nameof(UnixSources))]
    public async Task AcceptAsync_UnixSourceHeader_ServesTheConnectionAndCloses(string kind)
    {
        var server = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.ProxyProtocol = ProxyProtocolMode.Required;
        var accepting = server.AcceptAsync().AsTask();
        using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, server.Port);
        await client.SendAsync((byte[])[.. UnixHeader(kind), .. "hi"u8]);

        // Either served or refused, but never lost: before the fix the admission task threw out of its own catch
        // (AcceptedConnection.RemoteEndPoint -> new UnixDomainSocketEndPoint("") throws), so the accept never
        // completed, the socket and its places leaked and CloseAsync waited forever for the stage to finish.
        var connection = await accepting.Within();
        Assert.NotNull(connection);
        Assert.Equal(InternetAddressType.Unix, connection.RemoteAddress.Type);
        Assert.Equal(0, connection.RemotePort);
        var buffer = new byte[2];
        await connection.Stream.ReadExactlyAsync(buffer).AsTask().Within();
        Assert.Equal("hi", Encoding.ASCII.GetString(buffer));
        await connection.DisposeAsync();
        await server.CloseAsync().Within();
    }

    [Theory]
    [MemberData(nameof(UnixSources))]
    public async Task HttpServer_UnixSourceHeader_ServesTheRequest(string kind)
    {
        await using var server = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, 0);
        server.ProxyProtocol = ProxyProtocolMode.Required;
        server.Listen(request =>
        {
            request.Response.Write($"{request.ConnectionInfo!.RemoteAddress.Type}:{request.ConnectionInfo.RemotePort}");
            return Task.CompletedTask;
        });
        using var connection = await HttpTesting.ConnectAsync(server.Port);
        await connection.SendAsync([.. UnixHeader(kind), .. Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")]);

        var response = await connection.ReadResponseAsync().WaitAsync(HttpTesting.Timeout);

        Assert.Equal(200, response.Status);
        Assert.Equal("Unix:0", response.Text);
        await server.CloseAsync().Within();
    }
}
