using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

public sealed class HttpServerSecureTests
{
    internal static SecurityContext ServerContext(bool trustTestCa = false)
    {
        var context = new SecurityContext();
        context.UseCertificate(TestCertificates.Server);
        if (trustTestCa)
        {
            context.SetTrustedCertificatesBytes(Encoding.ASCII.GetBytes(TestCertificates.CertificatePem(TestCertificates.Ca)));
        }

        return context;
    }

    /// <summary>An HttpClient that trusts the test CA (and only it), offering a client certificate if given.</summary>
    internal static HttpClient SecureClient(X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = TrustTestCa;
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return HttpTesting.Client(handler);
    }

    internal static bool TrustTestCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && TlsTesting.ChainsToTestCa(certificate);

    [Fact]
    public async Task BindSecureAsync_Http2ClientWithCertificate_ServesHttp2AndSeesTheCertificate()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, ServerContext(trustTestCa: true), requestClientCertificate: true);
        var seen = new TaskCompletionSource<(string Version, string? Thumbprint, string Scheme)>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(request =>
        {
            seen.TrySetResult((request.ProtocolVersion, request.Certificate?.Thumbprint, request.RequestedUri.Scheme));
            request.Response.Write("secure");
            return Task.CompletedTask;
        });
        using var client = SecureClient(TestCertificates.Client);
        using var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(message);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("secure", await response.Content.ReadAsStringAsync());
        Assert.Equal(("2", TestCertificates.Client.Thumbprint, "https"), await seen.Task.WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task BindSecureAsync_Http11ClientWithoutCertificate_IsServedWithoutOne()
    {
        await using var server = await HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, 0, ServerContext(), requestClientCertificate: true);
        var seen = new TaskCompletionSource<(string, X509Certificate2?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Listen(request =>
        {
            seen.TrySetResult((request.ProtocolVersion, request.Certificate));
            return Task.CompletedTask;
        });
        using var client = SecureClient();
        using var message = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{server.Port}/") { Version = HttpVersion.Version11 };

        using var response = await client.SendAsync(message);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("1.1", (X509Certificate2?)null), await seen.Task.WaitAsync(HttpTesting.Timeout));
    }

    [Fact]
    public async Task BindSecureAsync_FailedHandshakes_AreNoErrorOfTheServer()
    {
        await using var server = await HttpServer.BindSecureAsync("127.0.0.1", 0, ServerContext());
        server.Listen(request => { request.Response.Write("still here"); return Task.CompletedTask; });

        using (var plaintext = await HttpTesting.ConnectAsync(server.Port))
        {
            await plaintext.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.True(await plaintext.ClosedByServerAsync().WaitAsync(HttpTesting.Timeout));
        }

        using (var distrustful = HttpTesting.Client())
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => distrustful.GetAsync($"https://127.0.0.1:{server.Port}/"));
        }

        using var client = SecureClient();
        Assert.Equal("still here", await client.GetStringAsync($"https://127.0.0.1:{server.Port}/"));
    }

    [Fact]
    public async Task BindSecureAsync_ContextWithoutCertificate_FailsWithCertificateExceptionAndBindsNothing()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Close();

        await Assert.ThrowsAsync<CertificateException>(() => HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, port, new SecurityContext()));

        await using var free = await HttpServer.BindAsync(InternetAddress.LoopbackIPv4, port);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultCertificateDatabaseCollection
{
    public const string Name = "CertificateDatabase.Default";
}

[Collection(DefaultCertificateDatabaseCollection.Name)]
public sealed class HttpServerCertificateNameTests
{
    [Fact]
    public async Task BindSecureAsync_CertificateName_ServesThatEntryOfTheDefaultDatabase()
    {
        using var folder = new TemporaryDirectory();
        var database = CertificateDatabase.Open(folder.Path);
        database.Add("web", TestCertificates.Server);
        var previous = CertificateDatabase.Default;
        CertificateDatabase.Default = database;
        try
        {
            await Assert.ThrowsAsync<CertificateException>(() => HttpServer.BindSecureAsync("127.0.0.1", 0, "no-such-entry"));
            await using var server = await HttpServer.BindSecureAsync(InternetAddress.LoopbackIPv4, 0, "web");
            server.Listen(request => { request.Response.Write("from the database"); return Task.CompletedTask; });
            using var client = HttpServerSecureTests.SecureClient();

            Assert.Equal("from the database", await client.GetStringAsync($"https://127.0.0.1:{server.Port}/"));
        }
        finally
        {
            CertificateDatabase.Default = previous;
        }
    }
}
