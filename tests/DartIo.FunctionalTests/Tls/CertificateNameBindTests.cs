using Microsoft.Extensions.Logging;
using static DartIo.Tests.Tls.TlsTesting;

namespace DartIo.Tests.Tls;

/// <summary>These tests replace process-wide settings (the default database, the logger factory), so they run alone.</summary>
[CollectionDefinition(nameof(ProcessWideTlsSettings), DisableParallelization = true)]
public sealed class ProcessWideTlsSettings;

[Collection(nameof(ProcessWideTlsSettings))]
public sealed class CertificateNameBindTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();
    private readonly CertificateDatabase _previous = CertificateDatabase.Default;
    private readonly CertificateDatabase _database;
    private readonly ManualTimeProvider _time = new();

    public CertificateNameBindTests()
    {
        _database = CertificateDatabase.Open(_folder.Path, "dbpw");
        _database.TimeProvider = _time;
        CertificateDatabase.Default = _database;
    }

    public void Dispose()
    {
        CertificateDatabase.Default = _previous;
        _folder.Dispose();
    }

    [Fact]
    public async Task BindAsync_NicknameInTheDefaultDatabase_ServesThatCertificate()
    {
        _database.Add("web", TestCertificates.Server);
        await using var server = await SecureServerSocket.BindAsync("127.0.0.1", 0, "web");
        var serving = ServeEchoAsync(server, 1);

        await using var client = await SecureSocketConnection.ConnectAsync("localhost", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);

        Assert.Equal(TestCertificates.Server.Thumbprint, client.PeerCertificate!.Thumbprint);
        Assert.Equal("by nickname", await RoundTripAsync(client, "by nickname").WaitAsync(Patience));
        Assert.Equal("127.0.0.1", server.Address.Host);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task BindAsync_DistinguishedNameWithOtherSpacingAndCase_ServesThatCertificate()
    {
        _database.Add("web", TestCertificates.Server);
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, "cn = LOCALHOST ,o = dartio tests");
        var accept = server.AcceptAsync().AsTask();

        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        await using var accepted = (await accept.WaitAsync(Patience))!;

        Assert.Equal(TestCertificates.Server.Thumbprint, client.PeerCertificate!.Thumbprint);
    }

    [Fact]
    public async Task BindAsync_UnknownCertificateName_CertificateExceptionNamingItAndNothingBound()
    {
        var port = await SecureServerSocketTests.FreePortAsync();

        var error = await Assert.ThrowsAsync<CertificateException>(() => SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, port, "nope"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
        await SecureServerSocketTests.AssertNothingListensAsync(port);
    }

    [Fact]
    public async Task BindAsync_WrongDatabasePassword_CertificateExceptionAndNothingBound()
    {
        CertificateDatabase.Default = CertificateDatabase.Open(_folder.Path, "not the password");
        _database.Add("web", TestCertificates.Server);

        var error = await Assert.ThrowsAsync<CertificateException>(() => SecureServerSocket.BindAsync("127.0.0.1", 0, "web"));

        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains("password is wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindAsync_CertificateRenewedOnDisk_NewHandshakesGetItWithoutARebind()
    {
        _database.Add("web", TestCertificates.Server);
        await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, "web");
        var serving = ServeEchoAsync(server, 3);
        var renewed = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost, O=DartIo Tests", server: true);

        var before = await PeerThumbprintAsync(server.Port);
        _database.Add("web", renewed);
        _time.Advance(TimeSpan.FromSeconds(1));
        var after = await PeerThumbprintAsync(server.Port);
        _folder.Write("web.pfx", "broken"u8.ToArray());
        _time.Advance(TimeSpan.FromSeconds(1));
        var afterBreakage = await PeerThumbprintAsync(server.Port);

        Assert.Equal(TestCertificates.Server.Thumbprint, before);
        Assert.Equal(renewed.Thumbprint, after);
        Assert.Equal(renewed.Thumbprint, afterBreakage);
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task BindAsync_ServedEntryReplacedByAnEmptyFile_HandshakesGoOnWithTheOldCertificateAndAWarning()
    {
        var logs = await CaptureLogsAsync(async () =>
        {
            _database.Add("web", TestCertificates.Server);
            _folder.Write("other.pem", []); // a bad sibling from the start
            await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, "CN=localhost, O=DartIo Tests");
            var serving = ServeEchoAsync(server, 2);
            var renewed = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost, O=DartIo Tests", server: true);

            File.WriteAllBytes(_folder.File("web.pfx"), []); // what `cp renewed.pfx web.pfx` leaves for a moment
            _time.Advance(TimeSpan.FromSeconds(1));
            var duringTheCopy = await PeerThumbprintAsync(server.Port);
            _database.Add("web", renewed);
            _time.Advance(TimeSpan.FromSeconds(1));
            var afterTheCopy = await PeerThumbprintAsync(server.Port);

            Assert.Equal(TestCertificates.Server.Thumbprint, duringTheCopy);
            Assert.Equal(renewed.Thumbprint, afterTheCopy);
            await serving.WaitAsync(Patience);
        });

        var warning = Assert.Single(logs.Entries, e => e.EventId.Id == 103);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(_folder.File("web.pfx"), warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task AcceptAsync_FailedHandshake_LoggedAtDebugAndTheServerGoesOn()
    {
        var logs = await CaptureLogsAsync(async () =>
        {
            await using var server = await SecureServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, TestCertificates.ServerContext());
            var serving = ServeEchoAsync(server, 1);

            await using (var garbage = await SocketConnection.ConnectAsync("127.0.0.1", server.Port).WaitAsync(Patience))
            {
                await garbage.Stream.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
                Assert.Equal(0, await garbage.Stream.ReadAsync(new byte[64]).AsTask().WaitAsync(Patience)); // dropped after the log
            }

            await using var good = await SecureSocketConnection.ConnectAsync("127.0.0.1", server.Port, TestCertificates.ClientContext())
                .WaitAsync(AtOnce);
            Assert.Equal("fine", await RoundTripAsync(good, "fine").WaitAsync(Patience));
            await serving.WaitAsync(Patience);
        });

        var failure = Assert.Single(logs.Entries, e => e.EventId.Id == 100);
        Assert.Equal(LogLevel.Debug, failure.Level);
    }

    /// <summary>Runs <paramref name="body"/> with DartIo's logs going to a capture, and returns it.</summary>
    private static async Task<CapturingLoggerFactory> CaptureLogsAsync(Func<Task> body)
    {
        var previous = DartIoLogging.LoggerFactory;
        var logs = new CapturingLoggerFactory();
        DartIoLogging.LoggerFactory = logs;
        try
        {
            await body();
        }
        finally
        {
            DartIoLogging.LoggerFactory = previous;
        }

        return logs;
    }

    private static async Task<string> PeerThumbprintAsync(int port)
    {
        await using var client = await SecureSocketConnection.ConnectAsync("127.0.0.1", port, TestCertificates.ClientContext())
            .WaitAsync(Patience);
        await RoundTripAsync(client, "x").WaitAsync(Patience);
        return client.PeerCertificate!.Thumbprint;
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly Lock _gate = new();
        private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _entries.Add((logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
