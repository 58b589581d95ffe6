using DartIo.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace DartIo.Tests.Tls;

/// <summary>These tests replace the process-wide logger factory to read the warnings, so they run one at a time.</summary>
[CollectionDefinition(nameof(ProcessWideLogging))]
public sealed class ProcessWideLogging;

/// <summary>
/// SPEC 12: a bad entry (empty, truncated, foreign bytes, wrong password, key mismatch, unreadable, a folder named
/// like a file) is an error naming its file when asked for by its own nickname, and is skipped with a warning
/// everywhere else: the other entries are found by nickname and by distinguished name, and listed.
/// </summary>
[Collection(nameof(ProcessWideLogging))]
public sealed class CertificateDatabaseBadEntryTests : IDisposable
{
    private const string ServerName = "CN=localhost, O=DartIo Tests";

    private readonly TemporaryDirectory _folder = new();
    private readonly ILoggerFactory _previousLogging = DartIoLogging.LoggerFactory;
    private readonly CapturingLoggerFactory _logs = new();
    private readonly CertificateDatabase _database;

    public CertificateDatabaseBadEntryTests()
    {
        DartIoLogging.LoggerFactory = _logs; // before Open: the database takes its logger then
        _database = CertificateDatabase.Open(_folder.Path, BadCertificateEntries.DatabasePassword);
        _database.Add("web", TestCertificates.Server);
    }

    public void Dispose()
    {
        DartIoLogging.LoggerFactory = _previousLogging;
        _folder.Dispose();
    }

    /// <summary>This test's entries of an event: tests of other classes running meanwhile log into the capture too.</summary>
    private IEnumerable<(string Category, LogLevel Level, EventId Event, string Text)> Logged(int eventId) =>
        _logs.Entries.Where(e => e.Event.Id == eventId && e.Text.Contains(_folder.Path, StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void Find_NicknameOfAGoodEntryBesideABadOne_Found(string kind)
    {
        BadCertificateEntries.Write(_folder, kind, "bad");

        var found = _database.Find("web");

        Assert.Equal(TestCertificates.Server.Thumbprint, found.Thumbprint);
        Assert.True(found.HasPrivateKey);
    }

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void Find_DistinguishedNameOfAGoodEntryBesideABadOne_FoundAndTheBadOneWarnedAbout(string kind)
    {
        var bad = BadCertificateEntries.Write(_folder, kind, "bad");

        var found = _database.Find(ServerName);

        Assert.Equal(TestCertificates.Server.Thumbprint, found.Thumbprint);
        Assert.True(found.HasPrivateKey);
        var warning = Assert.Single(Logged(104));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(bad, warning.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void Find_TheBadEntryItself_CertificateExceptionNamingTheNicknameAndTheFile(string kind)
    {
        var bad = BadCertificateEntries.Write(_folder, kind, "bad");

        var error = Assert.Throws<CertificateException>(() => _database.Find("bad"));

        Assert.Contains("'bad'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{bad}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void List_BadEntry_LeftOutWithAWarningNamingTheFile(string kind)
    {
        var bad = BadCertificateEntries.Write(_folder, kind, "bad");
        _folder.Write("ca.pem", TestCertificates.CertificatePem(TestCertificates.Ca)); // no key at all: listed, not bad

        var entries = _database.List();

        Assert.Equal(["ca", "web"], entries.Select(e => e.Nickname));
        var warning = Assert.Single(Logged(104));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'bad'", warning.Text, StringComparison.Ordinal);
        Assert.Contains(bad, warning.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadCertificateEntries.Kinds), MemberType = typeof(BadCertificateEntries))]
    public void List_WithOnUnreadable_BadEntryReportedNotLoggedAndTheOthersListed(string kind)
    {
        var bad = BadCertificateEntries.Write(_folder, kind, "bad");
        var reported = new List<(string Nickname, CertificateException Error)>();

        var entries = _database.List((nickname, error) => reported.Add((nickname, error)));

        Assert.Equal(["web"], entries.Select(e => e.Nickname));
        var (nickname, error) = Assert.Single(reported);
        Assert.Equal("bad", nickname);
        Assert.Contains(bad, error.Message, StringComparison.Ordinal);
        Assert.Empty(Logged(104));
    }

    [Fact]
    public void Find_EmptyFile_TheReasonSaysItIsEmpty()
    {
        var bad = BadCertificateEntries.Write(_folder, "empty.pem", "bad");

        var error = Assert.Throws<CertificateException>(() => _database.Find("bad"));

        Assert.EndsWith($"Cannot read '{bad}': it is empty (0 bytes).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_FolderNamedLikeAnEntryFile_TheReasonSaysItIsAFolder()
    {
        var bad = BadCertificateEntries.Write(_folder, "folder.pfx", "bad");

        var error = Assert.Throws<CertificateException>(() => _database.Find("bad"));

        Assert.EndsWith($"Cannot read '{bad}': it is a folder, not a file.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_DatabaseFolderMissing_CertificateExceptionSaysTheFolderDoesNotExist()
    {
        var database = CertificateDatabase.Open(_folder.File("not-there"));

        var error = Assert.Throws<CertificateException>(() => database.Find("web"));

        Assert.Equal($"Certificate 'web' in the certificate database '{_folder.File("not-there")}': not found: the folder does not exist.", error.Message);
    }

    [Theory]
    [InlineData("web")]
    [InlineData(ServerName)]
    public void Find_DatabasePathIsAFile_CertificateExceptionSaysSo(string name)
    {
        var database = CertificateDatabase.Open(_folder.File("web.pfx"));

        var error = Assert.Throws<CertificateException>(() => database.Find(name));

        Assert.Equal($"Certificate '{name}' in the certificate database '{_folder.File("web.pfx")}': not found: it is a file, not a folder.", error.Message);
    }

    [Fact]
    public void List_DatabasePathIsAFile_CertificateExceptionSaysSo()
    {
        var error = Assert.Throws<CertificateException>(() => CertificateDatabase.Open(_folder.File("web.pfx")).List());

        Assert.Equal($"Cannot list the certificate database '{_folder.File("web.pfx")}': it is a file, not a folder", error.Message);
    }
}
