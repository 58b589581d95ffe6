using DartIo.Tests.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DartIo.Hosting.Tests;

/// <summary>AddDartIoCertificateExpiry over a certificate database of certificates made at test time.</summary>
public sealed class CertificateExpiryHealthCheckTests : IDisposable
{
    private const string Password = BadCertificateEntries.DatabasePassword;
    private readonly TemporaryDirectory _folder = new();
    private readonly CertificateDatabase _database;

    public CertificateExpiryHealthCheckTests() => _database = CertificateDatabase.Open(_folder.Path, Password);

    public void Dispose() => _folder.Dispose();

    private void Add(string nickname, TimeSpan left) =>
        _database.Add(nickname, TestCertificates.SelfSigned("CN=" + nickname, notBefore: DateTimeOffset.UtcNow.AddDays(-400),
            notAfter: DateTimeOffset.UtcNow + left));

    private async Task<HealthReportEntry> CheckAsync(TimeSpan? warnBelow = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddDartIoCertificateExpiry("certificates", _folder.Path, Password, warnBelow);
        await using var provider = services.BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TestHost.Timeout);
        return report.Entries["certificates"];
    }

    [Fact]
    public async Task Check_AllFarFromExpiry_HealthyWithEachEntrysExpiry()
    {
        Add("web", TimeSpan.FromDays(90));
        Add("api", TimeSpan.FromDays(200));

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(["api", "web"], result.Data.Keys.Order());
        Assert.Contains("days left", (string)result.Data["web"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OneBelowFourteenDays_DegradedNamingIt()
    {
        Add("web", TimeSpan.FromDays(90));
        Add("soon", TimeSpan.FromDays(5));

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("soon", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("web", result.Description, StringComparison.Ordinal);
        Assert.Contains("4 days left", (string)result.Data["soon"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WarnBelowGiven_UsedInsteadOfFourteenDays()
    {
        Add("web", TimeSpan.FromDays(20));

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(TimeSpan.FromDays(30))).Status);
    }

    [Fact]
    public async Task Check_OneExpired_UnhealthyAndTheOthersStillListed()
    {
        Add("web", TimeSpan.FromDays(90));
        Add("old", TimeSpan.FromDays(-1));

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("expired: old", result.Description, StringComparison.Ordinal);
        Assert.StartsWith("expired ", (string)result.Data["old"], StringComparison.Ordinal);
        Assert.StartsWith("expires ", (string)result.Data["web"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated.pfx")]
    [InlineData("wrong-password")]
    [InlineData("empty.pem")]
    public async Task Check_BadEntry_UnhealthyNamingItAndTheGoodOnesStillListed(string kind)
    {
        Add("web", TimeSpan.FromDays(90));
        Add("soon", TimeSpan.FromDays(3));
        var bad = BadCertificateEntries.Write(_folder, kind, "broken");

        var result = await CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("unreadable: broken", result.Description, StringComparison.Ordinal);
        Assert.Contains("expiring within 14 days: soon", result.Description, StringComparison.Ordinal);
        Assert.Contains(bad, (string)result.Data["broken"], StringComparison.Ordinal);
        Assert.StartsWith("expires ", (string)result.Data["web"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DatabasePathIsAFile_Unhealthy()
    {
        var file = _folder.Write("not-a-folder", "x");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddDartIoCertificateExpiry("certificates", file);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["certificates"].Status);
        Assert.IsType<CertificateException>(report.Entries["certificates"].Exception);
    }

    [Fact]
    public void AddDartIoCertificateExpiry_NegativeWarnBelow_ArgumentOutOfRangeException()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.Throws<ArgumentOutOfRangeException>("warnBelow", () => builder.AddDartIoCertificateExpiry("c", warnBelow: TimeSpan.FromDays(-1)));
    }
}
