using DartIo.Http.Internal;
using DartIo.Http.Internal.Hosting;
using DartIo.Http.Internal.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DartIo;

/// <content>Taking the connection over from HTTP: <see cref="DetachSocketAsync"/>, and the take-over WebSockets share.</content>
public sealed partial class HttpResponse
{
    /// <summary>
    /// Sends the response headers (a 101 Switching Protocols the handler has set up) and hands the connection over as a
    /// <see cref="SocketConnection"/>, for a protocol of the application's own. Mirrors Dart's <c>detachSocket</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// HTTP/1.1 only, as in Dart. Kestrel switches a connection away from HTTP only through its upgrade, so the request
    /// must ask for one (<c>Connection: Upgrade</c> and an <c>Upgrade</c> header, no body) and the handler must have set
    /// <see cref="StatusCode"/> to 101 and an <c>Upgrade</c> header naming the protocol; Kestrel adds
    /// <c>Connection: Upgrade</c>. When the task completes the headers (with <see cref="Cookies"/> and the other headers
    /// set) have been flushed to the client, and what the client sends after its request is read from the connection's
    /// <see cref="SocketConnection.Stream"/>.
    /// </para>
    /// <para>
    /// The connection then belongs to the caller, whose <see cref="SocketConnection.CloseAsync"/> flushes and closes it
    /// both ways (the server ends the connection; there is no half-close) and <see cref="SocketConnection.Destroy"/> cuts
    /// it. The request ends, and the server lets go of the connection, when the caller closes it or the client goes;
    /// a <see cref="HttpServer.Listen"/> handler may return before that. <see cref="HttpServer.ConnectionsInfo"/> no
    /// longer counts it; a graceful <see cref="HttpServer.CloseAsync"/> leaves it open and <see cref="HttpServer.Done"/>
    /// waits for it to close; a forced close cuts it. The server's idle timeout and data rates no longer apply to it.
    /// </para>
    /// <para>
    /// Over HTTPS the connection comes back as a plain <see cref="SocketConnection"/> whose
    /// <see cref="SocketConnection.Stream"/> carries the decrypted bytes (the server's TLS session goes on under it);
    /// its <see cref="SocketConnection.Socket"/> carries TLS records and must not be used for I/O.
    /// </para>
    /// </remarks>
    /// <param name="writeHeaders">
    /// Must be true (the default). Dart's false (no headers written) is not supported: Kestrel writes the headers
    /// itself before it hands the connection over.
    /// </param>
    /// <returns>The connection, over Kestrel's upgraded stream.</returns>
    /// <exception cref="NotSupportedException"><paramref name="writeHeaders"/> is false.</exception>
    /// <exception cref="InvalidOperationException">
    /// The request is not HTTP/1.1 or asks for no upgrade; the status is not 101 or no <c>Upgrade</c> header is set; or the
    /// headers were sent already (the response was written to, closed, upgraded or detached before). The first two are
    /// the client's doing (a plain <c>GET</c> to an upgrade endpoint): the response is left as it is, for the handler to
    /// answer otherwise, and if the exception escapes the handler the server answers 400 and logs it at Debug, as
    /// <see cref="WebSocketTransformer"/> does for a request that is no WebSocket upgrade.
    /// </exception>
    public Task<SocketConnection> DetachSocketAsync(bool writeHeaders = true)
    {
        if (!writeHeaders)
        {
            throw new NotSupportedException(HttpMessages.DetachWithoutHeadersNotSupported);
        }

        if (HeadersSent || _request.Upgraded is not null)
        {
            throw new InvalidOperationException(HttpMessages.DetachHeadersSent);
        }

        if (_request.ProtocolVersion != "1.1")
        {
            throw _request.RefuseClient(new InvalidOperationException(HttpMessages.DetachNotHttp11));
        }

        if (_response.StatusCode != StatusCodes.Status101SwitchingProtocols || string.IsNullOrEmpty(_response.Headers.Upgrade.ToString()))
        {
            throw new InvalidOperationException(HttpMessages.DetachNot101);
        }

        if (_request.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgrade
            || _request.Connection is not { } connection)
        {
            throw _request.Connection is null
                ? new InvalidOperationException(HttpMessages.DetachNotUpgradable)
                : _request.RefuseClient(new InvalidOperationException(HttpMessages.DetachNotUpgradable));
        }

        WriteCookies(_response.Headers);
        _response.Headers.ContentLength = null; // a 101 has no body
        return DetachCoreAsync(upgrade, connection);
    }

    private async Task<SocketConnection> DetachCoreAsync(IHttpUpgradeFeature upgrade, ConnectionState connection)
    {
        connection.Detached = true; // ConnectionsInfo no longer counts it
        UpgradedStream stream;
        try
        {
            stream = await TakeOverAsync(() => new ValueTask<Stream>(upgrade.UpgradeAsync())).ConfigureAwait(false);
        }
        catch
        {
            connection.Detached = false;
            throw;
        }

        return new DetachedSocketConnection(connection.Socket, stream);
    }

    /// <summary>
    /// Takes the connection (on HTTP/2, the stream) over from HTTP, for a WebSocket or a detached socket: the response
    /// counts as closed, and the request stays open (<see cref="HttpRequest.Upgraded"/>) until the returned stream is
    /// disposed or the client goes.
    /// </summary>
    /// <param name="accept">Kestrel's switch: its upgrade (which sends the headers) or its extended CONNECT's accept.</param>
    /// <returns>The upgraded stream; disposing it ends the request.</returns>
    internal async Task<UpgradedStream> TakeOverAsync(Func<ValueTask<Stream>> accept)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _request.Upgraded = released.Task;
        MarkUpgraded();
        Stream opaque;
        try
        {
            opaque = await accept().ConfigureAwait(false);
        }
        catch
        {
            released.TrySetResult();
            throw;
        }

        // The client going away ends the request even if the stream is never touched again.
        var lifetime = _request.Features.Get<IHttpRequestLifetimeFeature>();
        var aborted = lifetime?.RequestAborted ?? CancellationToken.None;
        aborted.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), released);
        return new UpgradedStream(opaque, () => released.TrySetResult(), () => lifetime?.Abort());
    }
}
