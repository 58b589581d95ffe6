namespace DartIo;

/// <summary>
/// The settings of a hosted server socket (<see cref="HostedServerSocket"/>), bound from the configuration section
/// <c>DartIo:NAME</c>.
/// </summary>
public sealed class DartIoServerSocketOptions : DartIoServerOptions
{
    /// <summary>The connection limits (section <c>Limits</c>).</summary>
    public DartIoConnectionLimitsOptions Limits { get; set; } = new();
}
