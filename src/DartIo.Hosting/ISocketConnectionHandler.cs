namespace DartIo;

/// <summary>
/// A connection handler resolved from dependency injection, for
/// <see cref="DartIoHostingServiceCollectionExtensions.AddDartIoServerSocket{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string)"/>.
/// </summary>
/// <remarks>
/// Each connection gets a new service scope, and the handler is resolved from it: a handler registered as scoped (the
/// default when it was not registered) is made per connection; one registered as a singleton is shared. The scope is
/// disposed after the handler's task completes.
/// </remarks>
public interface ISocketConnectionHandler
{
    /// <summary>Serves one accepted connection (a <see cref="SecureSocketConnection"/> when the server has TLS).</summary>
    /// <remarks>
    /// When the task completes the connection is closed (<see cref="SocketConnection.CloseAsync"/>) if the handler has
    /// not. An exception is logged (at Debug for an <see cref="IOException"/>, the peer's doing) and the connection is
    /// destroyed; the server goes on.
    /// </remarks>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">
    /// Cancelled when the server stops by force (the stop's timeout passed or the host's shutdown token fired); the
    /// connection is destroyed right after.
    /// </param>
    /// <returns>A task that completes when the handler is done with the connection.</returns>
    Task HandleAsync(SocketConnection connection, CancellationToken cancellationToken);
}
