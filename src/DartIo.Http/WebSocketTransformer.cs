using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using DartIo.Internal;
using DartIo.Internal.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace DartIo;

/// <summary>
/// Upgrades HTTP requests to WebSockets (RFC 6455) through Kestrel's upgrade. Mirrors Dart's <c>WebSocketTransformer</c>.
/// </summary>
public static class WebSocketTransformer
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>
    /// Whether a request asks for a WebSocket: an HTTP/1.1 <c>GET</c> with <c>Connection: Upgrade</c>,
    /// <c>Upgrade: websocket</c>, <c>Sec-WebSocket-Version: 13</c> and a <c>Sec-WebSocket-Key</c>.
    /// Mirrors Dart's <c>isUpgradeRequest</c>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>True for a WebSocket upgrade request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    public static bool IsUpgradeRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.RequestHeaders;
        return HttpMethods.IsGet(request.Method)
            && request.ProtocolVersion == "1.1"
            && HeaderTokens.Contains(headers.Connection, "upgrade")
            && HeaderTokens.Contains(headers.Upgrade, "websocket")
            && headers.SecWebSocketVersion.ToString() == "13"
            && !StringValues.IsNullOrEmpty(headers.SecWebSocketKey);
    }

    /// <summary>
    /// Answers a WebSocket upgrade request (101 Switching Protocols) and returns the WebSocket, server side.
    /// Mirrors Dart's <c>WebSocketTransformer.upgrade</c>.
    /// </summary>
    /// <remarks>
    /// The connection belongs to the WebSocket until it is closed or disposed (or the client goes). No
    /// keep-alive pings are sent, as in Dart; send your own if idle connections must be detected.
    /// </remarks>
    /// <param name="request">The upgrade request; its response must not have been written to.</param>
    /// <param name="protocolSelector">
    /// Picks the subprotocol from those the client offers (<c>Sec-WebSocket-Protocol</c>), most preferred first;
    /// called only when the client offers some. null (the default), or a null result, selects none.
    /// </param>
    /// <param name="compression">True (the default) to accept the client's <c>permessage-deflate</c> offer, if it makes one.</param>
    /// <returns>The open WebSocket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    /// <exception cref="WebSocketException">
    /// (From the task.) The request is not a WebSocket upgrade request (it is answered 400), or the selector
    /// picked a protocol the client did not offer (answered 500).
    /// </exception>
    public static Task<WebSocket> UpgradeAsync(HttpRequest request, Func<IReadOnlyList<string>, string?>? protocolSelector = null,
        bool compression = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        var upgrade = request.Features.Get<IHttpUpgradeFeature>();
        if (!IsUpgradeRequest(request) || upgrade is not { IsUpgradableRequest: true })
        {
            return RefuseAsync(request, StatusCodes.Status400BadRequest, HttpMessages.InvalidUpgradeRequest);
        }

        string? protocol = null;
        var offered = Offered(request.RequestHeaders.SecWebSocketProtocol);
        if (protocolSelector is not null && offered.Count > 0)
        {
            protocol = protocolSelector(offered);
            if (protocol is not null && !offered.Contains(protocol))
            {
                return RefuseAsync(request, StatusCodes.Status500InternalServerError, HttpMessages.ProtocolNotOffered(protocol));
            }
        }

        return UpgradeCoreAsync(request, upgrade, protocol, compression);
    }

    private static async Task<WebSocket> UpgradeCoreAsync(HttpRequest request, IHttpUpgradeFeature upgrade, string? protocol, bool compression)
    {
        var requestHeaders = request.RequestHeaders;
        var (deflate, extension) = compression ? DeflateNegotiation.Negotiate(requestHeaders.SecWebSocketExtensions) : (null, null);

        var headers = request.Features.Get<IHttpResponseFeature>()!.Headers;
        headers.Clear(); // the default response headers have no place on a 101
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(requestHeaders.SecWebSocketKey.ToString());
        if (protocol is not null)
        {
            headers.SecWebSocketProtocol = protocol;
        }

        if (extension is not null)
        {
            headers.SecWebSocketExtensions = extension;
        }

        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        request.Upgraded = released.Task;
        request.Response.MarkUpgraded();
        Stream opaque;
        try
        {
            opaque = await upgrade.UpgradeAsync().ConfigureAwait(false);
        }
        catch
        {
            released.TrySetResult();
            throw;
        }

        // The client going away ends the request even if the WebSocket is never touched again.
        var aborted = request.Features.Get<IHttpRequestLifetimeFeature>()?.RequestAborted ?? CancellationToken.None;
        aborted.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), released);

        return WebSocket.CreateFromStream(new UpgradedStream(opaque, () => released.TrySetResult()), new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = protocol,
            KeepAliveInterval = TimeSpan.Zero,
            DangerousDeflateOptions = deflate,
        });
    }

    private static async Task<WebSocket> RefuseAsync(HttpRequest request, int status, string message)
    {
        if (!request.Response.IsClosed && request.Response.TryReset(status))
        {
            await request.Response.CloseAsync().ConfigureAwait(false);
        }

        throw new WebSocketException(message);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 fixes SHA-1 for the accept key; it protects nothing.")]
    private static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid)));

    private static List<string> Offered(StringValues headers)
    {
        var offered = new List<string>();
        foreach (var header in headers)
        {
            if (header is not null)
            {
                offered.AddRange(header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return offered;
    }
}
