namespace DartIo;

/// <summary>
/// The settings of a hosted HTTP server (<see cref="HostedHttpServer"/>), bound from the configuration section
/// <c>DartIo:NAME</c>.
/// </summary>
/// <example>
/// <code language="json">
/// { "DartIo": { "web": { "Address": "0.0.0.0", "Port": 8080, "Limits": { "MaxRequestBodySize": 100000000 } } } }
/// </code>
/// </example>
public sealed class DartIoHttpServerOptions : DartIoServerOptions
{
    /// <summary><see cref="HttpServer.ServerHeader"/>: the Server header's value; null (the default): none.</summary>
    public string? ServerHeader { get; set; }

    /// <summary><see cref="HttpServer.AutoCompress"/> (default false).</summary>
    public bool AutoCompress { get; set; }

    /// <summary>The limits (section <c>Limits</c>).</summary>
    public DartIoHttpLimitsOptions Limits { get; set; } = new();
}
