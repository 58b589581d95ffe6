using System.Net;
using Microsoft.Extensions.Options;

namespace DartIo.Hosting.Internal;

/// <summary>
/// Validates a hosted server's options when the host starts (ValidateOnStart), each failure naming the configuration
/// key it comes from (<c>DartIo:NAME:Port</c>), so a wrong appsettings.json says where it is wrong.
/// </summary>
internal sealed class HostedServerOptionsValidator : IValidateOptions<DartIoHttpServerOptions>, IValidateOptions<DartIoServerSocketOptions>
{
    private const int MaxWorkers = 1024;
    private static readonly TimeSpan s_maxShutdownTimeout = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, DartIoHttpServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = HostingConfiguration.Section(name);
        var failures = Common(section, options);
        var tls = section + ":Tls";
        if (options.Tls.RequireClientCertificate)
        {
            failures.Add($"{tls}:RequireClientCertificate: not supported by HTTP servers (use RequestClientCertificate and check HttpRequest.Certificate).");
        }

        if (options.Tls.SupportedProtocols.Count > 0)
        {
            failures.Add($"{tls}:SupportedProtocols: not supported by HTTP servers (they offer h2 and http/1.1 themselves).");
        }

        var limits = section + ":Limits";
        NoLimitOrAtLeast(failures, limits + ":MaxRequestBodySize", options.Limits.MaxRequestBodySize, 0);
        NoLimitOrAtLeast(failures, limits + ":MinRequestBodyDataRate", options.Limits.MinRequestBodyDataRate, 1);
        NoLimitOrAtLeast(failures, limits + ":MinResponseDataRate", options.Limits.MinResponseDataRate, 1);
        Connections(failures, limits, options.Limits);
        return Result(failures);
    }

    public ValidateOptionsResult Validate(string? name, DartIoServerSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = HostingConfiguration.Section(name);
        var failures = Common(section, options);
        Connections(failures, section + ":Limits", options.Limits);
        return Result(failures);
    }

    private static List<string> Common(string section, DartIoServerOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Address))
        {
            failures.Add($"{section}:Address: required (an address such as 0.0.0.0, ::, 127.0.0.1, or a host name).");
        }

        if (options.Port is not { } port)
        {
            failures.Add($"{section}:Port: required (0-65535; 0 lets the OS choose a port).");
        }
        else if (port is < 0 or > 65535)
        {
            failures.Add($"{section}:Port: {port} is outside 0-65535.");
        }

        if (options.Backlog < 0)
        {
            failures.Add($"{section}:Backlog: {options.Backlog} is negative (0 means the system's maximum).");
        }

        if (options.Workers is < 1 or > MaxWorkers)
        {
            failures.Add($"{section}:Workers: {options.Workers} is outside 1-{MaxWorkers}.");
        }
        else if (options.Workers > 1 && !options.Shared)
        {
            failures.Add($"{section}:Workers: {options.Workers} workers share one socket, which needs {section}:Shared set to true.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > s_maxShutdownTimeout)
        {
            failures.Add($"{section}:ShutdownTimeout: {options.ShutdownTimeout} is outside 00:00:00-1.00:00:00.");
        }

        Tls(failures, section + ":Tls", options.Tls);

        var proxy = section + ":Proxy";
        if (!Enum.IsDefined(options.Proxy.Mode))
        {
            failures.Add($"{proxy}:Mode: {options.Proxy.Mode} is not None, Optional or Required.");
        }

        for (var i = 0; i < options.Proxy.TrustedProxies.Count; i++)
        {
            var text = options.Proxy.TrustedProxies[i];
            if (!IPNetwork.TryParse(text, out _))
            {
                failures.Add($"{proxy}:TrustedProxies:{i}: '{text}' is not a network in CIDR notation (such as 10.0.0.0/8 or ::1/128).");
            }
        }

        return failures;
    }

    private static void Tls(List<string> failures, string tls, DartIoTlsOptions options)
    {
        var byName = !string.IsNullOrEmpty(options.CertificateName);
        var byFile = !string.IsNullOrEmpty(options.CertificateFile);
        if (byName && byFile)
        {
            failures.Add($"{tls}:CertificateName and {tls}:CertificateFile are both set: use one.");
        }

        if (!byName && !string.IsNullOrEmpty(options.Database))
        {
            failures.Add($"{tls}:Database is set without {tls}:CertificateName.");
        }

        if (!byFile && !string.IsNullOrEmpty(options.KeyFile))
        {
            failures.Add($"{tls}:KeyFile is set without {tls}:CertificateFile.");
        }

        if (byFile && !File.Exists(options.CertificateFile))
        {
            failures.Add($"{tls}:CertificateFile: '{Path.GetFullPath(options.CertificateFile!)}' does not exist.");
        }

        if (byFile && !string.IsNullOrEmpty(options.KeyFile) && !File.Exists(options.KeyFile))
        {
            failures.Add($"{tls}:KeyFile: '{Path.GetFullPath(options.KeyFile)}' does not exist.");
        }

        if (!options.Enabled && (options.RequestClientCertificate || options.RequireClientCertificate || options.SupportedProtocols.Count > 0))
        {
            failures.Add($"{tls}: client certificates and ALPN need a certificate ({tls}:CertificateName or {tls}:CertificateFile).");
        }
    }

    private static void Connections(List<string> failures, string limits, DartIoConnectionLimitsOptions options)
    {
        if (options.MaxConnections < 0)
        {
            failures.Add($"{limits}:MaxConnections: {options.MaxConnections} is negative (0 means no limit).");
        }

        if (options.MaxConnectionsPerAddress < 0)
        {
            failures.Add($"{limits}:MaxConnectionsPerAddress: {options.MaxConnectionsPerAddress} is negative (0 means no limit).");
        }
    }

    private static void NoLimitOrAtLeast(List<string> failures, string key, long? value, long minimum)
    {
        if (value is { } v && v != HostingConfiguration.NoLimit && v < minimum)
        {
            failures.Add($"{key}: {v} is below {minimum} (-1 means no limit).");
        }
    }

    private static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
