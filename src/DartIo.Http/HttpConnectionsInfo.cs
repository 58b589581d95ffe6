namespace DartIo;

/// <summary>
/// A count of a server's open connections, by state, taken when <see cref="HttpServer.ConnectionsInfo"/> is
/// called. Mirrors Dart's <c>HttpConnectionsInfo</c>.
/// </summary>
public sealed class HttpConnectionsInfo
{
    internal HttpConnectionsInfo(int active, int idle, int closing)
    {
        Active = active;
        Idle = idle;
        Closing = closing;
    }

    /// <summary>Every open connection: <see cref="Active"/> + <see cref="Idle"/> + <see cref="Closing"/>.</summary>
    public int Total => Active + Idle + Closing;

    /// <summary>Connections with a request in progress (an upgraded WebSocket counts as one).</summary>
    public int Active { get; }

    /// <summary>Connections waiting for their next request (keep-alive), or for their first.</summary>
    public int Idle { get; }

    /// <summary>Connections of a server that is closing, which close once their requests are done.</summary>
    public int Closing { get; }

    /// <inheritdoc/>
    public override string ToString() => $"total {Total}: active {Active}, idle {Idle}, closing {Closing}";
}
