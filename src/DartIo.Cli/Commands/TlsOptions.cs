using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// The TLS options of the servers: <c>--tls NAME</c> (a nickname or distinguished name in the certificate database),
/// <c>--db DIR</c>, <c>--client-cert request|require</c> and <c>--alpn P1,P2</c>.
/// </summary>
internal sealed class TlsOptions
{
    private TlsOptions(string certificateName, string? database, bool request, bool require, string[]? protocols)
    {
        CertificateName = certificateName;
        Database = database;
        RequestClientCertificate = request;
        RequireClientCertificate = require;
        Protocols = protocols;
    }

    public string CertificateName { get; }

    public string? Database { get; }

    public bool RequestClientCertificate { get; }

    public bool RequireClientCertificate { get; }

    public string[]? Protocols { get; }

    /// <summary>Reads the options; null without <c>--tls</c> (the others then are bad arguments).</summary>
    public static TlsOptions? Read(ArgumentReader reader)
    {
        var name = reader.Option("--tls");
        var database = reader.Option("--db");
        var clientCertificate = reader.Option("--client-cert");
        var alpn = reader.Option("--alpn");
        if (name is null)
        {
            var stray = database is not null ? "--db" : clientCertificate is not null ? "--client-cert" : alpn is not null ? "--alpn" : null;
            return stray is null ? null : throw new UsageException($"{stray} needs --tls NAME");
        }

        if (name.Length == 0)
        {
            throw new UsageException("--tls needs a certificate nickname or distinguished name");
        }

        var (request, require) = clientCertificate switch
        {
            null => (false, false),
            "request" => (true, false),
            "require" => (true, true),
            _ => throw new UsageException($"--client-cert must be request or require, not '{clientCertificate}'"),
        };
        var protocols = alpn?.Split(',', StringSplitOptions.TrimEntries);
        return new TlsOptions(name, database, request, require, protocols);
    }

    /// <summary>
    /// The context serving the named certificate from <c>--db</c> or the default database; it follows renewals on disk.
    /// </summary>
    /// <exception cref="CertificateException">Not found, no key, wrong password (the message names what).</exception>
    public SecurityContext CreateContext()
    {
        var database = Database is null
            ? CertificateDatabase.Default
            : CertificateDatabase.Open(Database, Environment.GetEnvironmentVariable(CertificateDatabase.PasswordVariable));
        return SecurityContext.FromCertificateDatabase(database, CertificateName);
    }

    /// <summary>Binds one secure server with these options.</summary>
    /// <exception cref="UsageException">An ALPN name is empty or longer than 255 bytes.</exception>
    public Task<SecureServerSocket> BindAsync(string address, int port, SecurityContext context, int backlog, bool v6Only, bool shared,
        CancellationToken cancellationToken)
    {
        try
        {
            return SecureServerSocket.BindAsync(address, port, context, backlog, v6Only, RequestClientCertificate,
                RequireClientCertificate, Protocols, shared, cancellationToken);
        }
        catch (ArgumentException ex) when (ex.ParamName == "supportedProtocols")
        {
            throw new UsageException($"--alpn: {ex.Message.Replace(" (Parameter 'supportedProtocols')", "", StringComparison.Ordinal)}");
        }
    }
}
