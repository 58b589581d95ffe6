using System.Net;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// The endpoint Kestrel is told to listen on: it carries the DartIo server that is already bound, so that
/// <see cref="ServerSocketListenerFactory"/> can hand Kestrel its connections.
/// </summary>
internal sealed class ServerSocketEndPoint(ConnectionSource source) : EndPoint
{
    public ConnectionSource Source { get; } = source;

    /// <summary>Completes when accepting may start: when the server is listened to or enumerated.</summary>
    public required Task Subscribed { get; init; }

    /// <summary>Called once the listener has stopped accepting (and closed the socket if it owns it).</summary>
    public required Action Unbound { get; init; }

    /// <summary>Called when the listening socket itself failed; the server's stream ends with the error.</summary>
    public required Action<NetworkException> Faulted { get; init; }

    public override string ToString() => $"{Source.Address.Host}:{Source.Port}";
}
