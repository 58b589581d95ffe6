namespace DartIo;

/// <summary>Options that <see cref="SocketConnection.SetOption"/> can set. Mirrors Dart's <c>SocketOption</c>.</summary>
public enum SocketOption
{
    /// <summary>TCP_NODELAY: send small writes at once instead of coalescing them (Nagle's algorithm off).</summary>
    TcpNoDelay,
}
