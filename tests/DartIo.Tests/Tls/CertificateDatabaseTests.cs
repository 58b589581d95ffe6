using System.Security.Cryptography.X509Certificates;

namespace DartIo.Tests.Tls;

public sealed class CertificateDatabaseTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private CertificateDatabase Open(string? password = null) => CertificateDatabase.Open(_folder.Path, password);

    [Theory]
    [InlineData("web.pfx")]
    [InlineData("web.p12")]
    public void Find_Pkcs12Entry_CertificateWithKeyUnlockedByTheDatabasePassword(string file)
    {
        _folder.Write(file, TestCertificates.Pkcs12(TestCertificates.Server, "dbpw", TestCertificates.Ca));

        var found = Open("dbpw").Find("web");

        Assert.Equal(TestCertificates.Server.Thumbprint, found.Thumbprint);
        Assert.True(found.HasPrivateKey);
    }

    [Fact]
    public void Find_PemWithTheKeyInTheSameFile_Found()
    {
        _folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server, TestCertificates.Ca) + TestCertificates.KeyPem(TestCertificates.Server));

        var material = Open().Load("web");

        Assert.True(material.Certificate.HasPrivateKey);
        Assert.Equal(TestCertificates.Ca.Thumbprint, Assert.Single(material.Intermediates).Thumbprint);
    }

    [Fact]
    public void Find_PemWithTheKeyInNickKey_Found()
    {
        _folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        _folder.Write("web.key", TestCertificates.KeyPem(TestCertificates.Server));

        Assert.True(Open().Find("web").HasPrivateKey);
    }

    [Fact]
    public void Find_PemWithAnEncryptedKey_UnlockedByTheDatabasePassword()
    {
        _folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        _folder.Write("web.key", TestCertificates.EncryptedKeyPem(TestCertificates.Server, "dbpw"));

        Assert.True(Open("dbpw").Find("web").HasPrivateKey);
    }

    [Fact]
    public void Find_CertbotFolderWithFullChain_FoundByTheDomainName()
    {
        _folder.Write("example.com/fullchain.pem", TestCertificates.CertificatePem(TestCertificates.Server, TestCertificates.Ca));
        _folder.Write("example.com/privkey.pem", TestCertificates.KeyPem(TestCertificates.Server));
        _folder.Write("example.com/README", "certbot's note");

        var material = Open().Load("example.com");

        Assert.Equal(TestCertificates.Server.Thumbprint, material.Certificate.Thumbprint);
        Assert.Single(material.Intermediates);
    }

    [Fact]
    public void Find_CertbotFolderWithCertAndChain_SendsTheChainToo()
    {
        _folder.Write("example.org/cert.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        _folder.Write("example.org/chain.pem", TestCertificates.CertificatePem(TestCertificates.Ca));
        _folder.Write("example.org/privkey.pem", TestCertificates.TraditionalKeyPem(TestCertificates.Server));

        var material = Open().Load("example.org");

        Assert.Equal(TestCertificates.Ca.Thumbprint, Assert.Single(material.Intermediates).Thumbprint);
    }

    [Fact]
    public void Find_CertbotFolderWithSymbolicLinks_FollowsThem()
    {
        // certbot's live/<name>/ files are links into archive/<name>/.
        var archive = _folder.Write("archive/example.net/fullchain1.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        var key = _folder.Write("archive/example.net/privkey1.pem", TestCertificates.KeyPem(TestCertificates.Server));
        Directory.CreateDirectory(_folder.File("live/example.net"));
        File.CreateSymbolicLink(_folder.File("live/example.net/fullchain.pem"), "../../archive/example.net/fullchain1.pem");
        File.CreateSymbolicLink(_folder.File("live/example.net/privkey.pem"), key);

        var found = CertificateDatabase.Open(_folder.File("live")).Find("example.net");

        Assert.Equal(TestCertificates.Server.Thumbprint, found.Thumbprint);
        Assert.True(File.Exists(archive));
    }

    [Fact]
    public void Find_UnknownNickname_CertificateExceptionNamesTheNameAndTheFolder()
    {
        var error = Assert.Throws<CertificateException>(() => Open().Find("missing"));

        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_WrongDatabasePassword_CertificateExceptionNamesTheNameTheFolderAndThePassword()
    {
        _folder.Write("web.pfx", TestCertificates.Pkcs12(TestCertificates.Server, "right"));

        var error = Assert.Throws<CertificateException>(() => Open("wrong").Find("web"));

        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("password is wrong", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("right", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_PemWithoutAnyKey_CertificateExceptionSaysThereIsNoKey()
    {
        _folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Server));

        var error = Assert.Throws<CertificateException>(() => Open().Find("web"));

        Assert.Contains("no private key", error.Message, StringComparison.Ordinal);
        Assert.Contains("'web'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_NicknameWithAPath_NotFoundRatherThanReadOutsideTheFolder()
    {
        _folder.Write("outside.pem", TestCertificates.CertificatePem(TestCertificates.Server) + TestCertificates.KeyPem(TestCertificates.Server));
        var inner = CertificateDatabase.Open(_folder.File("db"));

        Assert.Throws<CertificateException>(() => inner.Find("../outside"));
    }

    [Theory]
    [InlineData("CN=localhost, O=DartIo Tests")]
    [InlineData("cn=LOCALHOST,o=dartio tests")]
    [InlineData("  CN = localhost ;  O = DartIo Tests ")]
    [InlineData("CN=localhost, OID.2.5.4.10=DartIo Tests")]
    public void Find_DistinguishedNameWithOtherSpacingAndCase_Found(string name)
    {
        _folder.Write("web.pfx", TestCertificates.Pkcs12(TestCertificates.Server, null));

        Assert.Equal(TestCertificates.Server.Thumbprint, Open().Find(name).Thumbprint);
    }

    [Fact]
    public void Find_DistinguishedNameInAnotherOrder_NotFound()
    {
        _folder.Write("web.pfx", TestCertificates.Pkcs12(TestCertificates.Server, null));

        var error = Assert.Throws<CertificateException>(() => Open().Find("O=DartIo Tests, CN=localhost"));

        Assert.Contains("'O=DartIo Tests, CN=localhost'", error.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_DistinguishedNameWithQuotedComma_Found()
    {
        var certificate = TestCertificates.Issue(TestCertificates.Ca, "CN=shop, O=\"Acme, Inc.\"", server: true);
        _folder.Write("shop.pfx", TestCertificates.Pkcs12(certificate, null));

        Assert.Equal(certificate.Thumbprint, Open().Find("CN=shop,O=Acme\\, Inc.").Thumbprint);
    }

    [Fact]
    public void Find_SeveralEntriesMatchADistinguishedName_WithKeyThenValidNowThenLatestExpiryWins()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = TestCertificates.Issue(TestCertificates.Ca, "CN=api", server: true, notBefore: now.AddDays(-60), notAfter: now.AddDays(-1));
        var current = TestCertificates.Issue(TestCertificates.Ca, "CN=api", server: true, notAfter: now.AddDays(30));
        var later = TestCertificates.Issue(TestCertificates.Ca, "CN=api", server: true, notAfter: now.AddDays(90));
        var latestWithoutKey = TestCertificates.Issue(TestCertificates.Ca, "CN=api", server: true, notAfter: now.AddDays(365));
        _folder.Write("a-expired.pfx", TestCertificates.Pkcs12(expired, null));
        _folder.Write("b-current.pfx", TestCertificates.Pkcs12(current, null));
        _folder.Write("c-later.pfx", TestCertificates.Pkcs12(later, null));
        _folder.Write("d-nokey.pem", TestCertificates.CertificatePem(latestWithoutKey));

        Assert.Equal(later.Thumbprint, Open().Find("CN=api").Thumbprint);
    }

    [Fact]
    public void Find_DistinguishedNameWhileAnEntryIsLocked_NotFoundMentionsTheUnreadableEntry()
    {
        _folder.Write("locked.pfx", TestCertificates.Pkcs12(TestCertificates.Server, "other"));

        var error = Assert.Throws<CertificateException>(() => Open("mine").Find("CN=localhost"));

        Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);
        Assert.Contains("locked.pfx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_EveryLayout_OneEntryPerNicknameWithSubjectIssuerExpiryAndKey()
    {
        _folder.Write("a.pfx", TestCertificates.Pkcs12(TestCertificates.Server, "pw"));
        _folder.Write("b.p12", TestCertificates.Pkcs12(TestCertificates.Client, "pw"));
        _folder.Write("c.pem", TestCertificates.CertificatePem(TestCertificates.Server) + TestCertificates.KeyPem(TestCertificates.Server));
        _folder.Write("d.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        _folder.Write("d.key", TestCertificates.KeyPem(TestCertificates.Server));
        _folder.Write("e/fullchain.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        _folder.Write("e/privkey.pem", TestCertificates.KeyPem(TestCertificates.Server));
        _folder.Write("f.pem", TestCertificates.CertificatePem(TestCertificates.Ca));
        _folder.Write("notes.txt", "not an entry");

        var entries = Open("pw").List();

        Assert.Equal(["a", "b", "c", "d", "e", "f"], entries.Select(e => e.Nickname));
        var a = entries[0];
        Assert.Equal(TestCertificates.Server.Subject, a.Subject);
        Assert.Equal(TestCertificates.Ca.Subject, a.Issuer);
        Assert.Equal(TestCertificates.Server.Thumbprint, a.Thumbprint);
        Assert.Equal(new DateTimeOffset(TestCertificates.Server.NotAfter).ToUniversalTime(), a.NotAfter);
        Assert.Equal(TimeSpan.Zero, a.NotAfter.Offset);
        Assert.Equal([true, true, true, true, true, false], entries.Select(e => e.HasPrivateKey));
    }

    [Fact]
    public void List_EntryThatCannotBeUnlocked_LeftOut()
    {
        _folder.Write("good.pem", TestCertificates.CertificatePem(TestCertificates.Server) + TestCertificates.KeyPem(TestCertificates.Server));
        _folder.Write("locked.pfx", TestCertificates.Pkcs12(TestCertificates.Server, "other"));

        Assert.Equal("good", Assert.Single(Open("mine").List()).Nickname);
    }

    [Fact]
    public void List_MissingFolder_Empty() =>
        Assert.Empty(CertificateDatabase.Open(_folder.File("not-there")).List());

    [Fact]
    public void Add_Certificate_WrittenAsPkcs12UnderTheDatabasePasswordAndFoundAgain()
    {
        var database = CertificateDatabase.Open(_folder.File("new-db"), "dbpw");

        database.Add("dev", TestCertificates.Server);

        var file = _folder.File("new-db/dev.pfx");
        Assert.Equal(X509ContentType.Pkcs12, X509Certificate2.GetCertContentType(file));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(file, "other"));
        Assert.True(database.Find("dev").HasPrivateKey);
        Assert.Equal(["dev.pfx"], Directory.GetFiles(_folder.File("new-db")).Select(Path.GetFileName));
    }

    [Fact]
    public void Add_OnUnix_EntryIsOwnerOnlyAndTheNewFolderToo()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows keeps files private through the profile's ACLs
        }

        var database = CertificateDatabase.Open(_folder.File("private"), "pw");
        database.Add("dev", TestCertificates.Server);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder.File("private/dev.pfx")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder.File("private")));
    }

    [Fact]
    public void Add_NicknameInAnotherLayout_ReplacesThatEntry()
    {
        _folder.Write("web.pem", TestCertificates.CertificatePem(TestCertificates.Client));
        _folder.Write("web.key", TestCertificates.KeyPem(TestCertificates.Client));
        _folder.Write("web.p12", TestCertificates.Pkcs12(TestCertificates.Client, null));
        _folder.Write("web/fullchain.pem", TestCertificates.CertificatePem(TestCertificates.Client));
        var database = Open();

        database.Add("web", TestCertificates.Server);

        Assert.Equal(TestCertificates.Server.Thumbprint, database.Find("web").Thumbprint);
        Assert.Equal(["web.pfx"], Directory.GetFileSystemEntries(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Add_CertificateWithoutKey_ArgumentException() =>
        Assert.Throws<ArgumentException>(() => Open().Add("web", TestCertificates.PublicOnly(TestCertificates.Server)));

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData(" padded ")]
    public void Add_InvalidNickname_ArgumentExceptionNamingTheParameter(string nickname)
    {
        var error = Assert.Throws<ArgumentException>(() => Open().Add(nickname, TestCertificates.Server));

        Assert.Equal("nickname", error.ParamName);
    }

    [Fact]
    public void Remove_ExistingEntry_TrueAndGone()
    {
        var database = Open();
        database.Add("web", TestCertificates.Server);

        Assert.True(database.Remove("web"));
        Assert.Empty(database.List());
        Assert.False(database.Remove("web"));
    }

    [Fact]
    public void Remove_CertbotFolder_DeletesTheFolderButNotWhatItsLinksPointTo()
    {
        var archived = _folder.Write("archive/fullchain1.pem", TestCertificates.CertificatePem(TestCertificates.Server));
        Directory.CreateDirectory(_folder.File("db/site"));
        File.CreateSymbolicLink(_folder.File("db/site/fullchain.pem"), archived);
        var database = CertificateDatabase.Open(_folder.File("db"));

        Assert.True(database.Remove("site"));
        Assert.False(Directory.Exists(_folder.File("db/site")));
        Assert.True(File.Exists(archived));
    }

    [Fact]
    public void Import_PemChainAndSeparateEncryptedKey_AddsTheEntryWithItsChain()
    {
        var chain = _folder.Write("in/chain.pem", TestCertificates.CertificatePem(TestCertificates.Server, TestCertificates.Ca));
        var key = _folder.Write("in/key.pem", TestCertificates.EncryptedKeyPem(TestCertificates.Server, "filepw"));
        var database = CertificateDatabase.Open(_folder.File("db"), "dbpw");

        database.Import("web", chain, key, "filepw");

        var material = database.Load("web");
        Assert.True(material.Certificate.HasPrivateKey);
        Assert.Single(material.Intermediates);
    }

    [Fact]
    public void Import_CertificateWithoutKeyAndNoKeyFile_CertificateExceptionNamesTheFile()
    {
        var chain = _folder.Write("in/chain.pem", TestCertificates.CertificatePem(TestCertificates.Server));

        var error = Assert.Throws<CertificateException>(() => Open().Import("web", chain));

        Assert.Contains(chain, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("web.pfx")));
    }

    [Fact]
    public void Fingerprint_EntryRewritten_Changes()
    {
        var database = Open();
        database.Add("web", TestCertificates.Server);
        var before = database.Fingerprint("web");

        database.Add("web", TestCertificates.Issue(TestCertificates.Ca, "CN=localhost", server: true));

        Assert.NotEqual(before, database.Fingerprint("web"));
    }

    [Fact]
    public void FromEnvironment_NoVariable_DartioCertdbUnderLocalApplicationData()
    {
        var database = CertificateDatabase.FromEnvironment(_ => null);

        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData,
            Environment.SpecialFolderOption.DoNotVerify), "dartio", "certdb"), database.Directory);
    }

    [Fact]
    public void FromEnvironment_Variables_FolderAndPasswordFromThem()
    {
        _folder.Write("web.pfx", TestCertificates.Pkcs12(TestCertificates.Server, "envpw"));
        var variables = new Dictionary<string, string> { ["DARTIO_CERTDB"] = _folder.Path, ["DARTIO_CERTDB_PASSWORD"] = "envpw" };

        var database = CertificateDatabase.FromEnvironment(name => variables.GetValueOrDefault(name));

        Assert.Equal(_folder.Path, database.Directory);
        Assert.True(database.Find("web").HasPrivateKey);
    }

    [Fact]
    public void Default_SetToNull_ArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => CertificateDatabase.Default = null!);
}
