using System.Net;
using DartIo.FunctionalTests.Support;

namespace DartIo.FunctionalTests.Cli;

public class EchoCommandTests
{
    [Fact]
    public async Task Echo_PortZero_PrintsItsUrlEchoesAndExitsCleanlyOnSigterm()
    {
        await using var tool = DartioProcess.Start("echo", "--address", "127.0.0.1", "--port", "0", "--workers", "2");
        var url = await tool.ReadLineAsync();
        Assert.NotNull(url);
        Assert.Matches(@"^tcp://127\.0\.0\.1:\d+$", url);
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"hello {i}", await Loopback.RoundTripAsync(await Loopback.ConnectRawAsync(IPAddress.Loopback, port), $"hello {i}"));
        }

        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task Echo_BadArgument_ExitsTwoWithAOneLineReason()
    {
        await using var tool = DartioProcess.Start("echo", "--port", "seventy");

        Assert.Equal(2, await tool.WaitForExitAsync());
        var error = await tool.ReadAllErrorAsync();
        Assert.Equal("dartio: --port must be a whole number from 0 to 65535, not 'seventy'", error.Trim());
    }

    [Fact]
    public async Task Echo_PortTaken_ExitsOneWithTheNetworkError()
    {
        await using var taken = await ServerSocket.BindAsync("127.0.0.1", 0).Within();
        await using var tool = DartioProcess.Start("echo", "--address", "127.0.0.1", "--port", taken.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, await tool.WaitForExitAsync());
        var error = await tool.ReadAllErrorAsync();
        Assert.Contains($"dartio: Failed to create server socket (OS Error: Address already in use, errno = 98), address = 127.0.0.1, port = {taken.Port}", error, StringComparison.Ordinal);
    }
}
