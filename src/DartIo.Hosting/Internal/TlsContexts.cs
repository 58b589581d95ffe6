namespace DartIo.Hosting.Internal;

/// <summary>Makes a hosted server's <see cref="SecurityContext"/> from its <see cref="DartIoTlsOptions"/>.</summary>
internal static class TlsContexts
{
    /// <summary>The context, or null when the options configure no certificate.</summary>
    /// <exception cref="InvalidOperationException">The certificate cannot be loaded; the message names the configuration key, the inner exception says why.</exception>
    public static SecurityContext? Create(DartIoTlsOptions options, string section)
    {
        if (!options.Enabled)
        {
            return null;
        }

        var tls = section + ":Tls";
        if (!string.IsNullOrEmpty(options.CertificateName))
        {
            try
            {
                var database = string.IsNullOrEmpty(options.Database)
                    ? CertificateDatabase.Default
                    : CertificateDatabase.Open(options.Database, options.Password);
                return SecurityContext.FromCertificateDatabase(database, options.CertificateName); // reads the entry now
            }
            catch (CertificateException ex)
            {
                throw new InvalidOperationException($"{tls}:CertificateName: {ex.Message}", ex);
            }
        }

        var context = new SecurityContext();
        Load(tls + ":CertificateFile", () => context.UseCertificateChain(options.CertificateFile!, options.Password));
        // The key's failure names the key that gave the file, so an operator fixes the right line.
        Load(string.IsNullOrEmpty(options.KeyFile) ? tls + ":CertificateFile" : tls + ":KeyFile",
            () => context.UsePrivateKey(string.IsNullOrEmpty(options.KeyFile) ? options.CertificateFile! : options.KeyFile, options.Password));
        return context;
    }

    private static void Load(string key, Action load)
    {
        try
        {
            load();
        }
        catch (Exception ex) when (ex is TlsException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{key}: {ex.Message}", ex);
        }
    }
}
