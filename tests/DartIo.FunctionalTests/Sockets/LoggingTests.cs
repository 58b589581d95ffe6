using System.Net;
using DartIo.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace DartIo.FunctionalTests.Sockets;

public class LoggingTests
{
    [Fact]
    public async Task Logging_BindAndCloseAtInformation_ConnectionsAtDebug()
    {
        var capture = new CapturingLoggerFactory();
        var previous = DartIoLogging.LoggerFactory;
        DartIoLogging.LoggerFactory = capture;
        int port;
        try
        {
            var server = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
            port = server.Port;
            using var client = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
            (await server.AcceptAsync().Within())!.Destroy();
            await server.CloseAsync().Within();
        }
        finally
        {
            DartIoLogging.LoggerFactory = previous;
        }

        var mine = capture.Entries.Where(e => e.Text.Contains($":{port}", StringComparison.Ordinal)).ToList();
        Assert.Contains(mine, e => e.Level == LogLevel.Information && e.Event.Name == "Bound" && e.Text.StartsWith($"Listening on 127.0.0.1:{port}", StringComparison.Ordinal));
        Assert.Contains(mine, e => e.Level == LogLevel.Information && e.Event.Name == "Closed");
        Assert.Contains(mine, e => e.Level == LogLevel.Debug && e.Event.Name == "Accepted");
    }

    [Fact]
    public void LoggerFactory_Null_IsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => DartIoLogging.LoggerFactory = null!);
    }
}
