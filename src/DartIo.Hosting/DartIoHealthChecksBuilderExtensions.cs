using DartIo.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DartIo;

/// <summary>Health checks for DartIo: certificate expiry over a <see cref="CertificateDatabase"/>.</summary>
public static class DartIoHealthChecksBuilderExtensions
{
    /// <summary>The default <c>warnBelow</c>: 14 days.</summary>
    public static readonly TimeSpan DefaultExpiryWarning = TimeSpan.FromDays(14);

    /// <summary>
    /// Adds a health check over every entry of a certificate database: Healthy while each certificate has at least
    /// <paramref name="warnBelow"/> left, Degraded when one has less, and the registration's failure status (Unhealthy
    /// by default) when one has expired or an entry cannot be read (a broken or half-written file, a wrong password).
    /// </summary>
    /// <remarks>
    /// The result's data has one item per entry, keyed by nickname: its expiry and days left, or why it cannot be
    /// read; a bad entry is listed beside the good ones and never hides them. The database is read at each check
    /// (a renewal shows at the next one); time comes from the <see cref="TimeProvider"/> in the services, else the system's.
    /// </remarks>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name.</param>
    /// <param name="database">The database's folder; null: <see cref="CertificateDatabase.Default"/> (at check time).</param>
    /// <param name="password">The database's password; null when its entries have none.</param>
    /// <param name="warnBelow">Degraded below this much time left; null: 14 days (<see cref="DefaultExpiryWarning"/>).</param>
    /// <param name="tags">The check's tags, to select it on a health endpoint; null: none.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="warnBelow"/> is negative.</exception>
    public static IHealthChecksBuilder AddDartIoCertificateExpiry(this IHealthChecksBuilder builder, string name,
        string? database = null, string? password = null, TimeSpan? warnBelow = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        var warning = warnBelow ?? DefaultExpiryWarning;
        ArgumentOutOfRangeException.ThrowIfLessThan(warning, TimeSpan.Zero, nameof(warnBelow));
        return builder.Add(new HealthCheckRegistration(name,
            services => new CertificateExpiryHealthCheck(
                () => database is null ? CertificateDatabase.Default : CertificateDatabase.Open(database, password),
                warning, services.GetService<TimeProvider>() ?? TimeProvider.System),
            failureStatus: null, tags));
    }
}
