using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Proxy;

/// <summary>
/// The proxies the PROXY protocol tests stand behind, checked against a plain .NET socket backend: what HAProxy and
/// nginx really send for a client bound to 127.0.0.7, byte for byte, so the DartIo tests rest on a known header.
/// </summary>
public sealed class ProxyProcessTests
{
    private static readonly byte[] s_v2Signature = "\r\n\r\n\0\r\nQUIT\n"u8.ToArray();

    [HaProxyFact]
    public async Task StartHaProxyAsync_SendProxy_BackendReadsV1LineWithTheClientsAddressThenItsBytes()
    {
        var (received, client, proxyPort) = await SendThroughAsync(port => ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.V1));

        Assert.Equal($"PROXY TCP4 127.0.0.7 127.0.0.1 {client.Port} {proxyPort}\r\nhello", Encoding.ASCII.GetString(received));
    }

    [NginxStreamFact]
    public async Task StartNginxStreamAsync_ProxyProtocolOn_BackendReadsV1LineWithTheClientsAddressThenItsBytes()
    {
        var (received, client, proxyPort) = await SendThroughAsync(port => ProxyProcess.StartNginxStreamAsync(port));

        Assert.Equal($"PROXY TCP4 127.0.0.7 127.0.0.1 {client.Port} {proxyPort}\r\nhello", Encoding.ASCII.GetString(received));
    }

    [HaProxyFact]
    public async Task StartHaProxyAsync_SendProxyV2_BackendReadsV2HeaderWithTheClientsAddressThenItsBytes()
    {
        var (received, client, proxyPort) = await SendThroughAsync(port => ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.V2));

        Assert.True(received.AsSpan().StartsWith(s_v2Signature), Convert.ToHexString(received));
        Assert.Equal(0x21, received[12]); // version 2, PROXY command
        Assert.Equal(0x11, received[13]); // TCP over IPv4
        var length = BinaryPrimitives.ReadUInt16BigEndian(received.AsSpan(14));
        Assert.Equal(16 + length + 5, received.Length);
        Assert.Equal(ProxyProcess.ClientAddress, new IPAddress(received.AsSpan(16, 4)));
        Assert.Equal(IPAddress.Loopback, new IPAddress(received.AsSpan(20, 4)));
        Assert.Equal(client.Port, BinaryPrimitives.ReadUInt16BigEndian(received.AsSpan(24)));
        Assert.Equal(proxyPort, BinaryPrimitives.ReadUInt16BigEndian(received.AsSpan(26)));
        Assert.Equal("hello", Encoding.ASCII.GetString(received.AsSpan(16 + length)));
    }

    [HaProxyFact]
    public async Task StartHaProxyAsync_NoHeader_BackendReadsOnlyTheClientsBytes()
    {
        var (received, _, _) = await SendThroughAsync(port => ProxyProcess.StartHaProxyAsync(port, ProxyHeaderKind.None));

        Assert.Equal("hello", Encoding.ASCII.GetString(received));
    }

    [HaProxyFact]
    public async Task StartHaProxyAsync_TlsBackend_HeaderComesBeforeTheClientHelloAndTlsRunsEndToEnd()
    {
        using var listener = Listen();
        var backend = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptAsync();
            await using var stream = new NetworkStream(accepted, ownsSocket: false);
            var fixedPart = new byte[16];
            await stream.ReadExactlyAsync(fixedPart);
            var header = new byte[16 + BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(14))];
            fixedPart.CopyTo(header, 0);
            await stream.ReadExactlyAsync(header.AsMemory(16));
            await using var tls = new SslStream(stream);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Server });
            var question = new byte[5];
            await tls.ReadExactlyAsync(question);
            await tls.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(question).ToUpperInvariant()));
            await tls.ShutdownAsync();
            return header;
        });
        await using var proxy = await ProxyProcess.StartHaProxyAsync(((IPEndPoint)listener.LocalEndPoint!).Port, ProxyHeaderKind.V2);

        var (tls, _) = await proxy.ConnectTlsAsync();
        await using var _ = tls;
        await tls.WriteAsync("hello"u8.ToArray());
        var answer = await Loopback.ReadToEndAsync(tls);

        Assert.Equal("HELLO", answer);
        var header = await backend.Within();
        Assert.True(header.AsSpan().StartsWith(s_v2Signature));
        Assert.Equal(ProxyProcess.ClientAddress, new IPAddress(header.AsSpan(16, 4)));
    }

    [HaProxyFact]
    public async Task DisposeAsync_RunningProxy_StopsListening()
    {
        using var listener = Listen();
        var proxy = await ProxyProcess.StartHaProxyAsync(((IPEndPoint)listener.LocalEndPoint!).Port, ProxyHeaderKind.V1);
        var port = proxy.Port;

        await proxy.DisposeAsync();

        var refused = await Assert.ThrowsAsync<SocketException>(() => Loopback.ConnectRawAsync(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    /// <summary>
    /// Starts the proxy in front of a raw backend, sends "hello" from a client bound to 127.0.0.7 and half-closes;
    /// returns every byte the backend received, the client's own endpoint and the proxy's port.
    /// </summary>
    private static async Task<(byte[] Received, IPEndPoint Client, int ProxyPort)> SendThroughAsync(Func<int, Task<ProxyProcess>> start)
    {
        using var listener = Listen();
        await using var proxy = await start(((IPEndPoint)listener.LocalEndPoint!).Port);
        using var client = await proxy.ConnectAsync();
        await client.SendAsync("hello"u8.ToArray()).Within();
        client.Shutdown(SocketShutdown.Send);

        using var accepted = await listener.AcceptAsync().Within();
        using var received = new MemoryStream();
        await using (var stream = new NetworkStream(accepted, ownsSocket: false))
        {
            await stream.CopyToAsync(received).Within();
        }

        return (received.ToArray(), (IPEndPoint)client.LocalEndPoint!, proxy.Port);
    }
}
