using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Tls;

/// <summary>
/// A certificate database entry that is followed on disk: a renewed certificate is served to new handshakes
/// without a rebind; a broken replacement keeps the old certificate and logs why.
/// </summary>
/// <remarks>
/// The entry's files (size, modification time, symbolic-link target) are compared at most once per
/// <see cref="CheckInterval"/>, on a handshake, and only one caller checks while the others go on with the
/// current certificate. Time comes from the database's <see cref="CertificateDatabase.TimeProvider"/>.
/// </remarks>
internal sealed class DatabaseCertificateSource : CertificateSource
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly CertificateDatabase _database;
    private readonly string _name;
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private CertificateMaterial _current;
    private string _fingerprint;
    private long _lastCheck;

    /// <summary>Loads the entry now.</summary>
    /// <exception cref="CertificateException">Not found, no private key, wrong password, unreadable.</exception>
    public DatabaseCertificateSource(CertificateDatabase database, string name)
    {
        _database = database;
        _name = name;
        _logger = DartIoLogging.CreateLogger(Log.TlsCategory);
        _fingerprint = database.Fingerprint(name); // before the load: a change during it is seen at the next check
        _current = database.Load(name);
        _lastCheck = database.TimeProvider.GetTimestamp();
    }

    public override CertificateMaterial Current
    {
        get
        {
            var time = _database.TimeProvider;
            if (time.GetElapsedTime(Volatile.Read(ref _lastCheck)) < CheckInterval || !_gate.TryEnter())
            {
                return Volatile.Read(ref _current);
            }

            try
            {
                var now = time.GetTimestamp();
                if (time.GetElapsedTime(_lastCheck, now) >= CheckInterval)
                {
                    Volatile.Write(ref _lastCheck, now);
                    Refresh();
                }

                return _current;
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    private void Refresh()
    {
        var fingerprint = _database.Fingerprint(_name);
        if (fingerprint == _fingerprint)
        {
            return;
        }

        _fingerprint = fingerprint;
        try
        {
            var renewed = _database.Load(_name);
            Volatile.Write(ref _current, renewed);
            Log.CertificateReloaded(_logger, _name, _database.Directory, renewed.Certificate.Subject,
                renewed.Certificate.Thumbprint, renewed.Certificate.NotAfter);
        }
        catch (CertificateException ex)
        {
            Log.CertificateReloadFailed(_logger, _name, _database.Directory, ex.Message);
        }
    }
}
