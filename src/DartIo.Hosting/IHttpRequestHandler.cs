namespace DartIo;

/// <summary>
/// A request handler resolved from dependency injection, for
/// <see cref="DartIoHostingServiceCollectionExtensions.AddDartIoHttpServer{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string)"/>.
/// </summary>
/// <remarks>
/// Each request gets a new service scope, and the handler is resolved from it: a handler registered as scoped (the
/// default when it was not registered) is made per request and may take scoped services; one registered as a
/// singleton is shared by every request. The scope is disposed after the handler's task completes.
/// </remarks>
public interface IHttpRequestHandler
{
    /// <summary>Handles one request, as a <see cref="HttpServer.Listen"/> handler does.</summary>
    /// <remarks>
    /// The response is closed when the task completes (if the handler has not closed it). A handler that throws gets a
    /// 500 response if nothing was sent yet (else its connection is aborted); the error is logged and the server goes on.
    /// </remarks>
    /// <param name="request">The request; its <see cref="HttpRequest.Response"/> is the response to write.</param>
    /// <param name="cancellationToken">Cancelled when the server stops by force (the stop's timeout passed or the host's shutdown token fired): give up then.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    Task HandleAsync(HttpRequest request, CancellationToken cancellationToken);
}
