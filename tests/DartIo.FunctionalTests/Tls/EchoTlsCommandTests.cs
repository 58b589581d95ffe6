using System.Diagnostics;
using System.Globalization;
using DartIo.FunctionalTests.Support;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

public sealed class EchoTlsCommandTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Db => _folder.File("db");

    [Fact]
    public async Task EchoTls_CertificateFromCertsCreate_OpensslSClientIsAcceptedAndEchoed()
    {
        var (created, _, createError) = await DartioRun.RunAsync(["certs", "create", "dev", "--dns", "localhost", "--db", Db]);
        Assert.True(created == 0, createError);
        var trusted = _folder.Write("dev.pem", CertificateDatabase.Open(Db).Find("dev").ExportCertificatePem());

        await using var tool = DartioProcess.Start("echo", "--tls", "dev", "--db", Db, "--port", "0", "--workers", "2");
        var url = await tool.ReadLineAsync();
        Assert.NotNull(url);
        Assert.Matches(@"^tls://localhost:\d+$", url);
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

        var client = new ProcessStartInfo("openssl")
        {
            ArgumentList = { "s_client", "-connect", $"localhost:{port}", "-servername", "localhost", "-CAfile", trusted,
                "-verify_return_error", "-verify_hostname", "localhost", "-quiet", "-no_ign_eof" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var sClient = Process.Start(client)!;
        var diagnostics = sClient.StandardError.ReadToEndAsync();
        try
        {
            await sClient.StandardInput.WriteLineAsync("hello from openssl");
            await sClient.StandardInput.FlushAsync();
            var echoed = await sClient.StandardOutput.ReadLineAsync().WaitAsync(Patience);
            sClient.StandardInput.Close(); // -no_ign_eof: s_client then closes the connection and exits
            await sClient.WaitForExitAsync().WaitAsync(Patience);

            Assert.True(echoed == "hello from openssl", await diagnostics);
            Assert.Equal(0, sClient.ExitCode);
        }
        finally
        {
            if (!sClient.HasExited)
            {
                sClient.Kill();
            }
        }

        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task EchoTls_RequireClientCertificateAndAlpn_DartIoClientWithCertificateServed()
    {
        CertificateDatabase.Open(Db).Add("web", TestCertificates.Server);

        await using var tool = DartioProcess.Start("echo", "--tls", "CN=localhost, O=DartIo Tests", "--db", Db, "--address", "127.0.0.1",
            "--port", "0", "--client-cert", "require", "--alpn", "echo/2,echo/1");
        var url = await tool.ReadLineAsync();
        Assert.NotNull(url);
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

        var refused = await IsRefusedAsync(async () =>
            await SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext()));
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext(TestCertificates.Client),
            supportedProtocols: ["echo/1", "echo/2"]).WaitAsync(Patience);

        Assert.True(refused);
        Assert.Equal("echo/2", client.SelectedProtocol);
        Assert.Equal("mutual", await RoundTripAsync(client, "mutual").WaitAsync(Patience));
        Assert.Equal(0, await tool.StopAsync());
    }

    [Fact]
    public async Task EchoTls_UnknownCertificate_ExitsOneNamingItAndTheDatabase()
    {
        await using var tool = DartioProcess.Start("echo", "--tls", "nope", "--db", Db, "--port", "0");

        Assert.Equal(1, await tool.WaitForExitAsync());
        var error = await tool.ReadAllErrorAsync();
        Assert.Contains("Certificate 'nope' in the certificate database", error, StringComparison.Ordinal);
        Assert.Contains(Db, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--client-cert", "require")]
    [InlineData("--alpn", "h2")]
    [InlineData("--db", "/tmp")]
    public async Task Echo_TlsOptionWithoutTls_ExitsTwo(string option, string value)
    {
        await using var tool = DartioProcess.Start("echo", option, value, "--port", "0");

        Assert.Equal(2, await tool.WaitForExitAsync());
        Assert.Equal($"dartio: {option} needs --tls NAME", (await tool.ReadAllErrorAsync()).Trim());
    }

    [Fact]
    public async Task EchoTls_BadClientCertMode_ExitsTwo()
    {
        await using var tool = DartioProcess.Start("echo", "--tls", "dev", "--client-cert", "maybe", "--port", "0");

        Assert.Equal(2, await tool.WaitForExitAsync());
        Assert.Equal("dartio: --client-cert must be request or require, not 'maybe'", (await tool.ReadAllErrorAsync()).Trim());
    }
}
