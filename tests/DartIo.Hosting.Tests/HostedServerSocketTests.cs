using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.Tests.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DartIo.Hosting.Tests;

/// <summary>AddDartIoServerSocket in a host built in-process: each connection to the handler, graceful and forced stop.</summary>
public sealed class HostedServerSocketTests
{
    private static Dictionary<string, string?> Echo(params (string Key, string? Value)[] settings) => TestHost.Loopback("echo", settings);

    /// <summary>Echoes one line, then the handler returns (and the server closes the connection).</summary>
    private static async Task EchoLine(SocketConnection connection, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(connection.Stream, Encoding.ASCII, leaveOpen: true);
        var line = await reader.ReadLineAsync(cancellationToken);
        await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes($"echo: {line}\n"), cancellationToken);
    }

    private static async Task<string> RoundTripAsync(Stream stream, string line)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        return await reader.ReadToEndAsync().WaitAsync(TestHost.Timeout); // to the server's close
    }

    [Fact]
    public async Task Start_PortZero_EachConnectionServedAndClosedWhenItsHandlerEnds()
    {
        await using var host = await TestHost.StartAsync(Echo(), services => services.AddDartIoServerSocket("echo", EchoLine));
        var port = host.ServerSocket("echo").Port;

        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, port);
        await second.ConnectAsync(IPAddress.Loopback, port);

        Assert.Equal("echo: b\n", await RoundTripAsync(second.GetStream(), "b"));
        Assert.Equal("echo: a\n", await RoundTripAsync(first.GetStream(), "a"));
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 1 && e.Text.Contains($"tcp://127.0.0.1:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_TwoSharedWorkersWithLimits_EveryConnectionServedAndBothBound()
    {
        await using var host = await TestHost.StartAsync(Echo(("Workers", "2"), ("Shared", "true"), ("Limits:MaxConnectionsPerAddress", "10")),
            services => services.AddDartIoServerSocket("echo", EchoLine));
        var port = host.ServerSocket("echo").Port;

        for (var i = 0; i < 4; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            Assert.Equal($"echo: {i}\n", await RoundTripAsync(client.GetStream(), i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 1 && e.Text.Contains("(2 worker(s))", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Handler_Throws_LoggedAtErrorConnectionDestroyedServerGoesOn()
    {
        var calls = 0;
        await using var host = await TestHost.StartAsync(Echo(), services => services.AddDartIoServerSocket("echo", (connection, token) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("handler bug") : EchoLine(connection, token)));
        var port = host.ServerSocket("echo").Port;

        using (var failing = new TcpClient())
        {
            await failing.ConnectAsync(IPAddress.Loopback, port);
            await host.Logs.WhenLogged("DartIo.Hosting", 5).WaitAsync(TestHost.Timeout);
        }

        using var next = new TcpClient();
        await next.ConnectAsync(IPAddress.Loopback, port);
        Assert.Equal("echo: again\n", await RoundTripAsync(next.GetStream(), "again"));
        var failure = Assert.Single(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 5);
        Assert.Equal(LogLevel.Error, failure.Level);
    }

    [Fact]
    public async Task Handler_ClientClosesMidMessage_LoggedAtDebugNotErrorServerGoesOn()
    {
        var first = 0;
        await using var host = await TestHost.StartAsync(Echo(), services => services.AddDartIoServerSocket("echo", async (connection, token) =>
        {
            if (Interlocked.Exchange(ref first, 1) == 0)
            {
                await connection.Stream.ReadExactlyAsync(new byte[10], token); // a 10-byte message, cut after 2
                return;
            }

            await EchoLine(connection, token);
        }));
        var port = host.ServerSocket("echo").Port;

        using (var closing = new TcpClient())
        {
            await closing.ConnectAsync(IPAddress.Loopback, port);
            await closing.GetStream().WriteAsync(new byte[2]);
        }

        await host.Logs.WhenLogged("DartIo.Hosting", 6).WaitAsync(TestHost.Timeout);
        using var next = new TcpClient();
        await next.ConnectAsync(IPAddress.Loopback, port);
        Assert.Equal("echo: on\n", await RoundTripAsync(next.GetStream(), "on"));
        Assert.Equal(LogLevel.Debug, Assert.Single(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 6).Level);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Stop_ConnectionInProgress_WaitsForItsHandler()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Echo(), services => services.AddDartIoServerSocket("echo", async (connection, token) =>
        {
            entered.SetResult();
            await EchoLine(connection, token);
        }));
        var port = host.ServerSocket("echo").Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await entered.Task.WaitAsync(TestHost.Timeout);

        var stop = host.Host.StopAsync();
        await host.Logs.WhenLogged("DartIo.Sockets", 2).WaitAsync(TestHost.Timeout); // stopped listening

        Assert.False(stop.IsCompleted);
        Assert.Equal("echo: late\n", await RoundTripAsync(client.GetStream(), "late"));
        await stop.WaitAsync(TestHost.Timeout);
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 3);
    }

    [Fact]
    public async Task Stop_SilentClientPastShutdownTimeout_HandlerTokenCancelledAndConnectionDestroyed()
    {
        var clock = new ManualTimeProvider();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Echo(("ShutdownTimeout", "00:00:02")), services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddDartIoServerSocket("echo", async (connection, token) =>
            {
                entered.SetResult();
                await EchoLine(connection, token); // the client never sends its line
            });
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, host.ServerSocket("echo").Port);
        await entered.Task.WaitAsync(TestHost.Timeout);
        var timer = clock.NextTimerCreated;

        var stop = host.Host.StopAsync();
        await timer.WaitAsync(TestHost.Timeout);
        clock.Advance(TimeSpan.FromSeconds(2));

        await stop.WaitAsync(TestHost.Timeout);
        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 4);
        var read = await client.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TestHost.Timeout).ContinueWith(t => t.IsFaulted ? 0 : t.Result);
        Assert.Equal(0, read); // closed or reset: nothing more comes
    }

    [Fact]
    public async Task Stop_HandlerIgnoresItsTokenAndNeverReturns_StopStillCompletesAndSaysSo()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TestHost.StartAsync(Echo(("ShutdownTimeout", "00:00:00")), services =>
            services.AddDartIoServerSocket("echo", async (connection, token) =>
            {
                entered.SetResult();
                await never.Task; // neither the token nor the destroyed connection ends it
            }));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, host.ServerSocket("echo").Port);
        await entered.Task.WaitAsync(TestHost.Timeout);

        try
        {
            await host.Host.StopAsync().WaitAsync(TestHost.Timeout);
        }
        finally
        {
            never.TrySetResult(); // else a failure here would hang the host's dispose too
        }

        Assert.Contains(host.Logs.Entries, e => e.Category == "DartIo.Hosting" && e.Event.Id == 8 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Start_AlpnNameTooLong_ErrorNamesTheKeyAndNothingLeftBound()
    {
        using var folder = new TemporaryDirectory();
        var certificate = folder.Write("echo.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = folder.Write("echo.key", TestCertificates.KeyPem(TestCertificates.Server));
        await using var host = TestHost.Build(Echo(("Tls:CertificateFile", certificate), ("Tls:KeyFile", key),
            ("Tls:SupportedProtocols:0", new string('a', 256))), services => services.AddDartIoServerSocket("echo", EchoLine));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync().WaitAsync(TestHost.Timeout));

        Assert.StartsWith("DartIo:echo:Tls:SupportedProtocols: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<ArgumentException>(error.InnerException);
    }

    [Fact]
    public async Task AddDartIoServerSocketOfHandler_TlsFromPemFiles_HandlerGetsTheSecureConnection()
    {
        using var folder = new TemporaryDirectory();
        var pem = folder.Write("echo.pem", TestCertificates.CertificatePem(TestCertificates.Server) + TestCertificates.KeyPem(TestCertificates.Server));
        await using var host = await TestHost.StartAsync(Echo(("Tls:CertificateFile", pem)), services => services.AddDartIoServerSocket<SecureEcho>("echo"));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, host.ServerSocket("echo").Port);
        await using var tls = new SslStream(client.GetStream());

        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == TestCertificates.Server.Thumbprint,
        }).WaitAsync(TestHost.Timeout);

        Assert.Equal("secure: hi\n", await RoundTripAsync(tls, "hi"));
    }

    internal sealed class SecureEcho : ISocketConnectionHandler
    {
        public async Task HandleAsync(SocketConnection connection, CancellationToken cancellationToken)
        {
            var kind = connection is SecureSocketConnection ? "secure" : "plain";
            using var reader = new StreamReader(connection.Stream, Encoding.ASCII, leaveOpen: true);
            var line = await reader.ReadLineAsync(cancellationToken);
            await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes($"{kind}: {line}\n"), cancellationToken);
        }
    }
}
