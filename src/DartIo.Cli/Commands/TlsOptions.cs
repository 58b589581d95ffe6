using System.CommandLine;
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

    /// <summary>
    /// Declares the options on a command; the function returned reads them from a parse of it: null without
    /// <c>--tls</c> (the others then are bad arguments).
    /// </summary>
    /// <param name="command">The command that takes them.</param>
    /// <param name="offersAlpn">
    /// Whether <c>--alpn</c> is the command's to set; when not (serve offers h2 and http/1.1 itself) it is hidden from the
    /// help but still read, so that the command can say why it refuses it.
    /// </param>
    /// <param name="clientCertificateHelp">What <c>--client-cert</c> does on this command.</param>
    public static Func<ParseResult, TlsOptions?> Declare(Command command, bool offersAlpn, string clientCertificateHelp)
    {
        var name = new Option<string>("--tls")
        {
            HelpName = "NAME",
            Description = "TLS with the certificate database entry NAME (a nickname or distinguished name)",
        };
        var database = new Option<string>("--db")
        {
            HelpName = "DIR",
            Description = "The certificate database folder (default: $DARTIO_CERTDB, else ~/.local/share/dartio/certdb)",
        };
        var clientCertificate = new Option<string>("--client-cert")
        {
            HelpName = "request|require",
            Description = clientCertificateHelp,
        };
        var alpn = new Option<string>("--alpn")
        {
            HelpName = "P1,P2",
            Description = "The ALPN protocols to offer, most preferred first",
            Hidden = !offersAlpn,
        };
        clientCertificate.CompletionSources.Add("request", "require");
        command.Add(name);
        command.Add(database);
        command.Add(clientCertificate);
        command.Add(alpn);
        return parse => Read(parse.GetValue(name), parse.GetValue(database), parse.GetValue(clientCertificate), parse.GetValue(alpn));
    }

    private static TlsOptions? Read(string? name, string? database, string? clientCertificate, string? alpn)
    {
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
