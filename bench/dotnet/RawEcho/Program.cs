// The reference for the TCP cases: an echo server on System.Net.Sockets, written the way a .NET developer
// would write one: a TcpListener, an accept loop, and a task per connection copying its NetworkStream back
// through one buffer. The DartIo echo (../DartIoEcho) runs the same per-connection loop over DartIo's types.
//
//   RawEcho
//
// Binds 127.0.0.1 on an ephemeral port and prints tcp://127.0.0.1:PORT as the first line on stdout.
using System.Net;
using System.Net.Sockets;

var listener = new TcpListener(IPAddress.Loopback, 0);
listener.Start();
Console.WriteLine($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
Console.Out.Flush();

while (true)
{
    var client = await listener.AcceptTcpClientAsync();
    _ = EchoAsync(client);
}

static async Task EchoAsync(TcpClient client)
{
    using (client)
    {
        var stream = client.GetStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }

            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The client went away mid-exchange; nothing to do but close.
        }
    }
}
