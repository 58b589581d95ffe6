namespace DartIo;

/// <summary>
/// The connection limits of a hosted server (configuration section <c>DartIo:NAME:Limits</c>), as
/// <see cref="ServerSocket.MaxConnections"/> and <see cref="ServerSocket.MaxConnectionsPerAddress"/>.
/// </summary>
public class DartIoConnectionLimitsOptions
{
    /// <summary>Connections open at once, per worker; 0 (the default): no limit.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Connections open at once from one remote address; 0 (the default): no limit.</summary>
    public int MaxConnectionsPerAddress { get; set; }
}
