using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DartIo.Hosting.Internal;

/// <summary>The check behind <see cref="DartIoHealthChecksBuilderExtensions.AddDartIoCertificateExpiry"/>.</summary>
internal sealed class CertificateExpiryHealthCheck(Func<CertificateDatabase> open, TimeSpan warnBelow, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failure = context.Registration.FailureStatus;
        CertificateDatabase database;
        var unreadable = new List<(string Nickname, string Reason)>();
        IReadOnlyList<CertificateEntry> entries;
        try
        {
            database = open();
            entries = database.List((nickname, error) => unreadable.Add((nickname, error.Message)));
        }
        catch (CertificateException ex)
        {
            return Task.FromResult(new HealthCheckResult(failure, $"The certificate database cannot be listed: {ex.Message}", ex));
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var expired = new List<string>();
        var expiring = new List<string>();
        foreach (var entry in entries)
        {
            var left = entry.NotAfter - now;
            var expiry = entry.NotAfter.ToString("O", CultureInfo.InvariantCulture);
            if (left <= TimeSpan.Zero)
            {
                expired.Add(entry.Nickname);
                data[entry.Nickname] = $"expired {expiry}";
            }
            else
            {
                if (left < warnBelow)
                {
                    expiring.Add(entry.Nickname);
                }

                data[entry.Nickname] = $"expires {expiry} ({Math.Floor(left.TotalDays).ToString(CultureInfo.InvariantCulture)} days left)";
            }
        }

        foreach (var (nickname, reason) in unreadable)
        {
            data[nickname] = $"unreadable: {reason}";
        }

        var problems = new List<string>();
        if (unreadable.Count > 0)
        {
            problems.Add($"unreadable: {string.Join(", ", unreadable.Select(u => u.Nickname))}");
        }

        if (expired.Count > 0)
        {
            problems.Add($"expired: {string.Join(", ", expired)}");
        }

        if (expiring.Count > 0)
        {
            problems.Add($"expiring within {warnBelow.TotalDays.ToString(CultureInfo.InvariantCulture)} days: {string.Join(", ", expiring)}");
        }

        var status = unreadable.Count > 0 || expired.Count > 0 ? failure : expiring.Count > 0 ? HealthStatus.Degraded : HealthStatus.Healthy;
        var description = problems.Count == 0
            ? $"{entries.Count} certificate(s) in {database.Directory}, none expiring within {warnBelow.TotalDays.ToString(CultureInfo.InvariantCulture)} days"
            : $"Certificate database {database.Directory}: {string.Join("; ", problems)}";
        return Task.FromResult(new HealthCheckResult(status, description, data: data));
    }
}
