using DartIo.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace DartIo.Tests.Tls;

/// <summary>A database-backed context follows its entry on disk, checking at most once a second.</summary>
[Collection(nameof(ProcessWideLogging))]
public sealed class CertificateRenewalTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();
    private readonly ManualTimeProvider _time = new();
    private readonly ILoggerFactory _previousLogging = DartIoLogging.LoggerFactory;
    private readonly CapturingLoggerFactory _logs = new();
    private readonly CertificateDatabase _database;

    public CertificateRenewalTests()
    {
        DartIoLogging.LoggerFactory = _logs; // before Open and FromCertificateDatabase: they take their loggers then
        _database = CertificateDatabase.Open(_folder.Path, BadCertificateEntries.DatabasePassword);
        _database.TimeProvider = _time;
    }

    public void Dispose()
    {
        DartIoLogging.LoggerFactory = _previousLogging;
        _folder.Dispose();
    }

    /// <summary>This test's entries of an event: tests of other classes running meanwhile log into the capture too.</summary>
    private IEnumerable<(string Category, LogLevel Level, EventId Event, string Text)> Logged(int eventId) =>
        _logs.Entries.Where(e => e.Event.Id == eventId && e.Text.Contains(_folder.Path, StringComparison.Ordinal));

    [Fact]
    public void ServerIdentity_EntryRenewed_NewCertificateAfterTheCheckInterval()
    {
        _database.Add("web", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "web");
        var renewed = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true);

        _database.Add("web", renewed);
        var beforeTheInterval = context.ServerIdentity.Certificate.Thumbprint;
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TestCertificates.Server.Thumbprint, beforeTheInterval);
        Assert.Equal(renewed.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void ServerIdentity_BrokenReplacement_KeepsTheOldCertificateUntilAGoodOneComes()
    {
        _database.Add("web", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "web");

        _folder.Write("web.pfx", "half a file"u8.ToArray());
        _time.Advance(TimeSpan.FromSeconds(1));
        var afterBreakage = context.ServerIdentity.Certificate.Thumbprint;
        var fixedOne = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true);
        _database.Add("web", fixedOne);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TestCertificates.Server.Thumbprint, afterBreakage);
        Assert.Equal(fixedOne.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void ServerIdentity_ReplacedByABadEntry_KeepsTheOldCertificateWithWarning103ThenTakesAGoodReplacement(string kind)
    {
        _database.Add("web", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "web");

        _database.Remove("web");
        var bad = BadCertificateEntries.Write(_folder, kind, "web");
        _time.Advance(TimeSpan.FromSeconds(1));
        var afterBreakage = context.ServerIdentity.Certificate.Thumbprint;
        BadCertificateEntries.Delete(_folder, "web");
        var fixedOne = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true);
        _database.Add("web", fixedOne);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TestCertificates.Server.Thumbprint, afterBreakage);
        Assert.Equal(fixedOne.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
        var warning = Assert.Single(Logged(103));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(bad, warning.Text, StringComparison.Ordinal);
        Assert.Single(Logged(102)); // the good replacement
    }

    [Fact]
    public void ServerIdentity_ServedFileTruncatedInPlace_KeepsTheOldCertificateWithWarning103()
    {
        _database.Add("web", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "web");

        File.WriteAllBytes(_folder.File("web.pfx"), []); // what `cp new.pfx web.pfx` leaves for a moment
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TestCertificates.Server.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
        Assert.Contains("it is empty", Assert.Single(Logged(103)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerIdentity_EntryRemoved_KeepsServingTheOldCertificate()
    {
        _database.Add("web", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "web");

        _database.Remove("web");
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(TestCertificates.Server.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void ServerIdentity_DistinguishedNameAndANewerEntryAppears_UsesTheNewer()
    {
        _database.Add("web-2024", TestCertificates.Server);
        var context = SecurityContext.FromCertificateDatabase(_database, "CN=localhost, O=DartIo Tests");
        var newer = TestCertificates.Issue(TestCertificates.Ca, "CN=localhost, O=DartIo Tests", server: true,
            notAfter: DateTimeOffset.UtcNow.AddDays(400));

        _database.Add("web-2025", newer);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(newer.Thumbprint, context.ServerIdentity.Certificate.Thumbprint);
    }

    [Fact]
    public void FromCertificateDatabase_UnknownName_CertificateExceptionNamingItAndTheFolder()
    {
        var error = Assert.Throws<CertificateException>(() => SecurityContext.FromCertificateDatabase(_database, "nope"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
    }
}
