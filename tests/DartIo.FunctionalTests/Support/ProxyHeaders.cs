using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DartIo.FunctionalTests.Support;

/// <summary>
/// PROXY protocol headers as a proxy writes them (HAProxy's specification), so that tests can stand in for the proxy:
/// a client connects and writes the header itself before its own bytes.
/// </summary>
internal static class ProxyHeaders
{
    /// <summary>The client address the headers of these tests name (TEST-NET-1: never a real peer).</summary>
    public const string Client = "192.0.2.7";

    public const int ClientPort = 5555;

    /// <summary>The 12-byte signature that starts every version 2 header.</summary>
    private static readonly byte[] s_v2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>A version 1 header: <c>PROXY TCP4 source destination sport dport\r\n</c>.</summary>
    public static byte[] V1(string source = Client, int sourcePort = ClientPort, string destination = "127.0.0.1", int destinationPort = 80) =>
        Encoding.ASCII.GetBytes($"PROXY TCP4 {source} {destination} {sourcePort} {destinationPort}\r\n");

    /// <summary>The version 1 header without addresses: <c>PROXY UNKNOWN\r\n</c>.</summary>
    public static byte[] V1Unknown() => "PROXY UNKNOWN\r\n"u8.ToArray();

    /// <summary>A version 2 PROXY command over TCP/IPv4, with the TLVs in the order given.</summary>
    public static byte[] V2(string source = Client, int sourcePort = ClientPort, string destination = "127.0.0.1", int destinationPort = 80,
        params (byte Type, byte[] Value)[] tlvs)
    {
        var block = new List<byte>();
        block.AddRange(IPAddress.Parse(source).GetAddressBytes());
        block.AddRange(IPAddress.Parse(destination).GetAddressBytes());
        AddUInt16(block, sourcePort);
        AddUInt16(block, destinationPort);
        foreach (var (type, value) in tlvs)
        {
            block.Add(type);
            AddUInt16(block, value.Length);
            block.AddRange(value);
        }

        return V2Frame(0x21, 0x11, block);
    }

    /// <summary>A version 2 LOCAL command (a proxy's own health check) with no addresses, as HAProxy sends it.</summary>
    public static byte[] V2Local() => V2Frame(0x20, 0x00, []);

    /// <summary>Writes <paramref name="bytes"/> one small piece at a time, each its own send.</summary>
    public static async Task SendInPiecesAsync(Socket socket, byte[] bytes, int pieceLength)
    {
        for (var offset = 0; offset < bytes.Length; offset += pieceLength)
        {
            var piece = bytes.AsMemory(offset, Math.Min(pieceLength, bytes.Length - offset));
            await socket.SendAsync(piece).Within();
        }
    }

    /// <summary>A client that connects to the port and writes a header followed by <paramref name="payload"/>, in one send.</summary>
    public static async Task<Socket> ConnectAndSendAsync(int port, byte[] header, string payload = "")
    {
        var socket = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
        socket.NoDelay = true;
        byte[] bytes = [.. header, .. Encoding.ASCII.GetBytes(payload)];
        await socket.SendAsync(bytes.AsMemory()).Within();
        return socket;
    }

    /// <summary>True when the server closed the connection without sending anything (end of stream or a reset).</summary>
    public static async Task<bool> ClosedWithoutAnswerAsync(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            return await socket.ReceiveAsync(buffer.AsMemory()).Within() == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static byte[] V2Frame(byte versionCommand, byte family, List<byte> block)
    {
        var header = new List<byte>(s_v2Signature) { versionCommand, family };
        AddUInt16(header, block.Count);
        header.AddRange(block);
        return [.. header];
    }

    private static void AddUInt16(List<byte> bytes, int value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
