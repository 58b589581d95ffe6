using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DartIo.FunctionalTests.Support;

/// <summary>Clients and small servers on loopback, port 0, for the tests.</summary>
internal static class Loopback
{
    public static bool HasIPv6 { get; } = ProbeIPv6();

    /// <summary>A plain .NET client socket connected to a port on an address.</summary>
    public static async Task<Socket> ConnectRawAsync(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(address, port)).Within();
        return socket;
    }

    /// <summary>
    /// A plain .NET client socket bound to <paramref name="source"/> (port 0) and connected to a port on an address: the
    /// server, or a proxy in front of it, sees <paramref name="source"/> as the client (any 127.x.y.z works on loopback).
    /// </summary>
    public static async Task<Socket> ConnectFromAsync(IPAddress source, IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(new IPEndPoint(address, port)).Within();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a message, half-closes, and reads everything back until the peer closes.</summary>
    public static async Task<string> RoundTripAsync(Socket socket, string message)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message)).AsTask().Within();
        socket.Shutdown(SocketShutdown.Send);
        return await ReadToEndAsync(stream);
    }

    public static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).Within();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Echoes every connection of a server until it closes; returns the loop's task.</summary>
    public static Task EchoAllAsync(IAsyncEnumerable<SocketConnection> server) => Task.Run(async () =>
    {
        var connections = new List<Task>();
        await foreach (var connection in server)
        {
            connections.Add(EchoAsync(connection));
        }

        await Task.WhenAll(connections);
    });

    public static async Task EchoAsync(SocketConnection connection)
    {
        await connection.Stream.CopyToAsync(connection.Stream);
        await connection.CloseAsync();
    }

    private static bool ProbeIPv6()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A test that needs IPv6 loopback; skipped, visibly, where the machine has none.</summary>
internal sealed class IPv6FactAttribute : FactAttribute
{
    public IPv6FactAttribute()
    {
        if (!Loopback.HasIPv6)
        {
            Skip = "This machine has no IPv6 loopback (::1).";
        }
    }
}
