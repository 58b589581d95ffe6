using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Support;
using DartIo.Internal.Proxy;
using static DartIo.Tests.Proxy.ProxyHeaderBytes;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// <see cref="ProxyHeaderReader"/> on real loopback connections: it takes exactly the header's bytes, however they
/// arrive, and leaves every byte after it (or, when there is no header, every byte) for the next reader.
/// </summary>
public class ProxyHeaderReaderTests
{
    private const string Payload = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";

    public static TheoryData<string> Headers => ["v1", "v1-unknown", "v2-tcp4", "v2-tlvs", "v2-unix"];

    public static TheoryData<string, bool> HeadersAndModes => new()
    {
        { "v1", true }, { "v1", false }, { "v2-tlvs", true }, { "v2-tlvs", false },
    };

    /// <summary>A header of each shape, and what its source must read as.</summary>
    private static (byte[] Bytes, string Source) Header(string kind) => kind switch
    {
        "v1" => (Ascii(V1Example), "192.168.0.1:56324"),
        "v1-unknown" => (Ascii("PROXY UNKNOWN\r\n"), "-"),
        "v2-tcp4" => (V2Tcp4([203, 0, 113, 7], 40000, [127, 0, 0, 1], 443), "203.0.113.7:40000"),
        // 16 + 12 + 3 + 2 + 3 + 160: longer than the 107 bytes the reader peeks at, so read from its length field.
        "v2-tlvs" => (V2Tcp4([203, 0, 113, 7], 40000, [127, 0, 0, 1], 443, Tlv(0x01, Ascii("h2")), Tlv(0x04, new byte[160])), "203.0.113.7:40000"),
        "v2-unix" => (V2(0x21, 0x31, SunPath(Ascii("/run/client.sock")), SunPath(Ascii("/run/server.sock"))), "/run/client.sock:0"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string SourceOf(ProxyHeader header) =>
        header.SourceAddress is null ? "-" : $"{header.SourceAddress.Address}:{header.SourcePort}";

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task ReadAsync_HeaderAndPayloadInOneWrite_LeavesExactlyThePayload(string kind)
    {
        using var pair = await SocketPair.ConnectAsync();
        var (header, source) = Header(kind);
        await pair.Client.SendAsync((byte[])[.. header, .. Ascii(Payload)]).Within();

        var read = await ProxyHeaderReader.ReadAsync(pair.Server, required: true, CancellationToken.None).Within();

        Assert.Equal(source, SourceOf(read!));
        Assert.Equal(Payload, await pair.RestAsync());
    }

    [Theory]
    [MemberData(nameof(HeadersAndModes))]
    public async Task ReadAsync_HeaderInOneByteWrites_ReadsItAndLeavesThePayload(string kind, bool required)
    {
        using var pair = await SocketPair.ConnectAsync();
        var (header, source) = Header(kind);
        var reading = ProxyHeaderReader.ReadAsync(pair.Server, required, CancellationToken.None).AsTask();

        foreach (var b in header)
        {
            await pair.Client.SendAsync(new[] { b }).Within();
        }

        await pair.Client.SendAsync(Ascii(Payload)).Within();

        Assert.Equal(source, SourceOf((await reading.Within())!));
        Assert.Equal(Payload, await pair.RestAsync());
    }

    [Theory]
    [MemberData(nameof(HeadersAndModes))]
    public async Task ReadAsync_HeaderSplitInTwoAtEachByte_ReadsItAndLeavesThePayload(string kind, bool required)
    {
        var (header, source) = Header(kind);
        for (var split = 1; split < header.Length; split++)
        {
            using var pair = await SocketPair.ConnectAsync();
            await pair.SendAndWaitForArrivalAsync(header[..split]);

            // The reader's first look sees exactly the first part; the rest comes while it waits.
            var reading = ProxyHeaderReader.ReadAsync(pair.Server, required, CancellationToken.None).AsTask();
            await pair.Client.SendAsync((byte[])[.. header[split..], .. Ascii(Payload)]).Within();

            Assert.Equal(source, SourceOf((await reading.Within())!));
            Assert.Equal(Payload, await pair.RestAsync());
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example\r\n\r\n")]
    [InlineData("PROPFIND / HTTP/1.1\r\n\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")]
    public async Task ReadAsync_OptionalWithoutAHeader_ReturnsNullAndTakesNothing(string data)
    {
        using var pair = await SocketPair.ConnectAsync();
        var bytes = Encoding.Latin1.GetBytes(data);
        await pair.SendAndWaitForArrivalAsync(bytes);

        Assert.Null(await ProxyHeaderReader.ReadAsync(pair.Server, required: false, CancellationToken.None).Within());
        Assert.Equal(bytes, Encoding.Latin1.GetBytes(await pair.RestAsync()));
    }

    [Theory]
    [InlineData("PRO", "PFIND / HTTP/1.1\r\n\r\n")]
    [InlineData("\r\n\r\n", "GET / HTTP/1.1\r\n\r\n")]
    public async Task ReadAsync_OptionalWithPartOfASignatureThenOtherData_ReturnsNullAndTakesNothing(string first, string second)
    {
        using var pair = await SocketPair.ConnectAsync();
        await pair.SendAndWaitForArrivalAsync(Ascii(first));

        var reading = ProxyHeaderReader.ReadAsync(pair.Server, required: false, CancellationToken.None).AsTask();
        Assert.False(reading.IsCompleted);
        await pair.Client.SendAsync(Ascii(second)).Within();

        Assert.Null(await reading.Within());
        Assert.Equal(first + second, await pair.RestAsync());
    }

    [Fact]
    public async Task ReadAsync_RequiredWithoutAHeader_Throws()
    {
        using var pair = await SocketPair.ConnectAsync();
        await pair.Client.SendAsync(Ascii(Payload)).Within();

        var error = await Assert.ThrowsAsync<ProxyProtocolException>(
            () => ProxyHeaderReader.ReadAsync(pair.Server, required: true, CancellationToken.None).AsTask()).Within();

        Assert.Equal("the connection does not begin with a PROXY protocol header", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadAsync_MalformedHeader_ThrowsWithTheReason(bool required)
    {
        using var pair = await SocketPair.ConnectAsync();
        await pair.Client.SendAsync(Ascii("PROXY TCP4 192.168.0.01 192.168.0.11 56324 443\r\n" + Payload)).Within();

        var error = await Assert.ThrowsAsync<ProxyProtocolException>(
            () => ProxyHeaderReader.ReadAsync(pair.Server, required, CancellationToken.None).AsTask()).Within();

        Assert.Equal("the PROXY v1 line's source address is not an IPv4 address", error.Message);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168", true)]
    [InlineData("PROXY TCP4 192.168.0.1 192.168", false)]
    [InlineData("PROXY UNKNOWN\r", false)]
    [InlineData("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x7f\x00", false)]
    [InlineData("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x7f\x00", true)]
    [InlineData("\r\n\r\n\0\r\nQUIT\n\x21", true)]
    [InlineData("PRO", true)]
    [InlineData("", true)]
    public async Task ReadAsync_PeerEndsBeforeTheHeaderIsComplete_Throws(string start, bool required)
    {
        using var pair = await SocketPair.ConnectAsync();
        await pair.Client.SendAsync(Encoding.Latin1.GetBytes(start)).Within();
        pair.Client.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<ProxyProtocolException>(
            () => ProxyHeaderReader.ReadAsync(pair.Server, required, CancellationToken.None).AsTask()).Within();

        Assert.Equal("the connection ended before the PROXY protocol header was complete", error.Message);
    }

    [Fact]
    public async Task ReadAsync_OptionalAndThePeerEndsWithoutSendingAnything_ReturnsNull()
    {
        using var pair = await SocketPair.ConnectAsync();
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Null(await ProxyHeaderReader.ReadAsync(pair.Server, required: false, CancellationToken.None).Within());
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("PROXY TCP4 192.168.0.1", true)]
    [InlineData("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", false)]
    [InlineData("PROX", false)] // waiting with back-off, nothing taken
    public async Task ReadAsync_Cancelled_ThrowsOperationCanceled(string start, bool required)
    {
        using var pair = await SocketPair.ConnectAsync();
        if (start.Length > 0)
        {
            await pair.SendAndWaitForArrivalAsync(Encoding.Latin1.GetBytes(start));
        }

        using var cancellation = new CancellationTokenSource();
        var reading = ProxyHeaderReader.ReadAsync(pair.Server, required, cancellation.Token).AsTask();
        Assert.False(reading.IsCompleted);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading).Within();
    }

    /// <summary>A connected pair of plain sockets on IPv4 loopback: the client writes, the server reads.</summary>
    private sealed class SocketPair : IDisposable
    {
        private SocketPair(Socket client, Socket server)
        {
            Client = client;
            Server = server;
        }

        public Socket Client { get; }

        public Socket Server { get; }

        public static async Task<SocketPair> ConnectAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port);
            client.NoDelay = true;
            return new SocketPair(client, await listener.AcceptAsync().Within());
        }

        /// <summary>Sends bytes in one write and waits (a peek on the server side) until all of them have arrived.</summary>
        public async Task SendAndWaitForArrivalAsync(byte[] bytes)
        {
            await Client.SendAsync(bytes).Within();
            // One small write on loopback arrives whole, as one segment: the first peek sees all of it.
            Assert.Equal(bytes.Length, await Server.ReceiveAsync(new byte[bytes.Length], SocketFlags.Peek).Within());
        }

        /// <summary>Ends the client's writing and reads everything the server side has left, as Latin-1 text.</summary>
        public async Task<string> RestAsync()
        {
            Client.Shutdown(SocketShutdown.Send);
            using var stream = new NetworkStream(Server, ownsSocket: false);
            using var rest = new MemoryStream();
            await stream.CopyToAsync(rest).Within();
            return Encoding.Latin1.GetString(rest.ToArray());
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
