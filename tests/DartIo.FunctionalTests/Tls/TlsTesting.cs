using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DartIo.Tests.Tls;

/// <summary>What the TLS functional tests share: the wait limit, an echo server loop and clients.</summary>
internal static class TlsTesting
{
    /// <summary>The longest any single step may take before the test fails.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Well under the server's 10-second handshake timeout: "served at once" means within this.</summary>
    public static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(4);

    /// <summary>Echoes everything until the peer closes its side, then closes ours.</summary>
    public static async Task EchoAsync(SocketConnection connection)
    {
        await using (connection)
        {
            await connection.Stream.CopyToAsync(connection.Stream);
        }
    }

    /// <summary>Accepts <paramref name="count"/> connections and echoes on each; completes when all have ended.</summary>
    public static async Task ServeEchoAsync(SecureServerSocket server, int count)
    {
        var echoes = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            var connection = await server.AcceptAsync();
            Assert.NotNull(connection);
            echoes.Add(EchoAsync(connection));
        }

        await Task.WhenAll(echoes);
    }

    /// <summary>Writes the text, closes the sending side and reads what comes back until the end.</summary>
    public static async Task<string> RoundTripAsync(SocketConnection connection, string text)
    {
        await connection.Stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await connection.CloseAsync();
        return await ReadToEndAsync(connection.Stream);
    }

    public static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var received = new MemoryStream();
        await stream.CopyToAsync(received);
        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>
    /// A plain .NET client: TcpClient and SslStream, trusting <see cref="TestCertificates.Ca"/>; <paramref name="version"/>
    /// and <paramref name="cipherSuite"/> restrict what it offers (the suite on Linux only, where .NET can set one).
    /// </summary>
    public static async Task<SslStream> ConnectSslStreamAsync(int port, X509Certificate2? clientCertificate = null,
        List<SslApplicationProtocol>? protocols = null, bool trust = true, SslProtocols version = SslProtocols.None,
        TlsCipherSuite? cipherSuite = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = protocols,
            ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            RemoteCertificateValidationCallback = (_, certificate, _, _) => trust && ChainsToTestCa(certificate),
            EnabledSslProtocols = version,
        };
        if (cipherSuite is { } suite && OperatingSystem.IsLinux())
        {
            options.CipherSuitesPolicy = new CipherSuitesPolicy([suite]);
        }

        try
        {
            await ssl.AuthenticateAsClientAsync(options);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }

        return ssl;
    }

    /// <summary>Whether the server is refusing this connection: the handshake, the write or the first read fails, or the read ends.</summary>
    public static async Task<bool> IsRefusedAsync(Func<Task<SocketConnection>> connect)
    {
        try
        {
            await using var connection = await connect();
            await connection.Stream.WriteAsync("ping"u8.ToArray());
            var buffer = new byte[16];
            return await connection.Stream.ReadAsync(buffer) == 0;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return true; // HandshakeException is an IOException too
        }
    }

    /// <summary>True when the certificate chains to the test CA (and only to it).</summary>
    internal static bool ChainsToTestCa(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCertificates.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
