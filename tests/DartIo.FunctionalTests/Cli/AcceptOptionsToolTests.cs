using System.Net;
using System.Net.Sockets;
using System.Text;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>The accepting options of <c>dartio serve</c> and <c>dartio echo</c> (issue 10).</summary>
public class AcceptOptionsToolTests
{
    [Fact]
    public async Task Serve_ProxyProtocolRequired_ServesAndLogsTheClientTheHeaderNames()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("file", "proxied");
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--proxy-protocol", "required", "--trusted-proxy", "127.0.0.0/8");
        var port = ServeCommandTests.PortOf((await tool.ReadUrlAsync())!);

        var response = await HttpTesting.SendAsync(port,
            $"PROXY TCP4 192.0.2.9 127.0.0.1 40123 {port}\r\nGET /file HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

        Assert.Equal((200, "proxied"), (response.Status, response.Text));
        Assert.Equal(0, await tool.StopAsync());
        var log = await tool.ReadAllErrorAsync();
        Assert.Contains("192.0.2.9", log, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1 - -", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ProxyProtocolRequired_ClosesAConnectionWithoutAHeader()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("file", "proxied");
        await using var tool = DartioProcess.Start("serve", folder.Path, "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--proxy-protocol", "required");
        var port = ServeCommandTests.PortOf((await tool.ReadUrlAsync())!);

        using var socket = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /file HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).Within();
        var buffer = new byte[256];
        var read = 0;
        try
        {
            read = await socket.ReceiveAsync(buffer).Within();
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }

        Assert.Equal(0, read); // closed without an answer: the bytes were not a PROXY header
        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task Echo_MaxConnectionsPerAddress_ClosesTheExtraConnectionOnly()
    {
        await using var tool = DartioProcess.Start("echo", "--address", "127.0.0.1", "--port", "0", "--workers", "1",
            "--max-connections-per-address", "1");
        var url = (await tool.ReadLineAsync())!;
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        using var first = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
        await first.SendAsync(Encoding.ASCII.GetBytes("one")).Within();
        var echoed = new byte[3];
        Assert.Equal(3, await first.ReceiveAsync(echoed).Within()); // the first is served, so it counts now

        using var second = await Loopback.ConnectRawAsync(IPAddress.Loopback, port);
        var read = -1;
        try
        {
            read = await second.ReceiveAsync(new byte[16]).Within();
        }
        catch (SocketException)
        {
            read = 0;
        }

        Assert.Equal(0, read);
        Assert.Equal("still", await Loopback.RoundTripAsync(first, "still")); // the first is unaffected
        Assert.Equal(0, await tool.StopAsync());
    }

    [Theory]
    [InlineData("--proxy-protocol", "sometimes")]
    [InlineData("--trusted-proxy", "10.0.0.0/8")]
    [InlineData("--proxy-protocol", "required", "--trusted-proxy", "not-a-network")]
    [InlineData("--max-connections", "-1")]
    [InlineData("--max-connections-per-address", "many")]
    public async Task Tools_BadAcceptOption_ExitTwoWithAOneLineReason(params string[] args)
    {
        foreach (var command in new[] { "serve", "echo" })
        {
            await using var tool = DartioProcess.Start([command, .. args]);

            Assert.Equal(2, await tool.WaitForExitAsync());
            var error = (await tool.ReadAllErrorAsync()).Trim();
            Assert.StartsWith("dartio: --", error, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error);
        }
    }
}
