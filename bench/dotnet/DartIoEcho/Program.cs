// The DartIo side of the TCP cases: an echo on DartIo's ServerSocket, with the same per-connection loop as
// ../RawEcho (one buffer, read then write back, half-close at end of stream), so that only the library differs.
//
//   DartIoEcho [--sharers N]
//
// Binds 127.0.0.1 on an ephemeral port (N shared servers on one port with --sharers) and prints
// tcp://127.0.0.1:PORT as the first line on stdout.
using DartIo;

var sharers = args.Length == 2 && args[0] == "--sharers" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;
var first = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, shared: sharers > 1);
var servers = new List<ServerSocket> { first };
for (var i = 1; i < sharers; i++)
{
    servers.Add(await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, first.Port, shared: true));
}

Console.WriteLine($"tcp://127.0.0.1:{first.Port}");
Console.Out.Flush();

await Task.WhenAll(servers.Select(AcceptLoopAsync));
return 0;

static async Task AcceptLoopAsync(ServerSocket server)
{
    await foreach (var connection in server)
    {
        _ = EchoAsync(connection);
    }
}

static async Task EchoAsync(SocketConnection connection)
{
    await using (connection)
    {
        var stream = connection.Stream;
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }

            await connection.CloseAsync();
        }
        catch (IOException)
        {
            // The client went away mid-exchange; nothing to do but let go of the socket.
            connection.Destroy();
        }
    }
}
