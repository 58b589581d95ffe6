// The DartIo side of the TCP cases: an echo on DartIo's ServerSocket, with the same per-connection loop as
// ../RawEcho (one buffer, read then write back, half-close at end of stream), so that only the library differs.
//
//   DartIoEcho [--sharers N] [--inline]
//
// Binds 127.0.0.1 on an ephemeral port (N shared servers on one port with --sharers) and prints
// tcp://127.0.0.1:PORT as the first line on stdout. --inline sets ServerSocket.InlineCompletions: the loop below
// then resumes on .NET's socket event thread, as a Dart or Node handler runs on its event loop.
using DartIo;

var sharers = 1;
var inline = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--sharers" when i + 1 < args.Length: sharers = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--inline": inline = true; break;
        default:
            Console.Error.WriteLine("usage: DartIoEcho [--sharers N] [--inline]");
            return 2;
    }
}

var first = await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, shared: sharers > 1);
var servers = new List<ServerSocket> { first };
for (var i = 1; i < sharers; i++)
{
    servers.Add(await ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, first.Port, shared: true));
}

foreach (var server in servers)
{
    server.InlineCompletions = inline;
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
