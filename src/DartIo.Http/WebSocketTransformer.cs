using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using DartIo.Http.Internal;
using DartIo.Http.Internal.WebSockets;
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
    /// <c>Upgrade: websocket</c>, <c>Sec-WebSocket-Version: 13</c> and one <c>Sec-WebSocket-Key</c>; or an HTTP/2
    /// extended <c>CONNECT</c> (RFC 8441, what browsers send over HTTPS) with <c>:protocol websocket</c> and
    /// <c>Sec-WebSocket-Version: 13</c>. Mirrors Dart's <c>isUpgradeRequest</c>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>True for a WebSocket upgrade request.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    public static bool IsUpgradeRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.RequestHeaders;
        if (headers.SecWebSocketVersion.ToString() != "13")
        {
            return false;
        }

        return ExtendedConnect(request) is not null
            || (HttpMethods.IsGet(request.Method)
                && request.ProtocolVersion == "1.1"
                && HeaderTokens.Contains(headers.Connection, "upgrade")
                && HeaderTokens.Contains(headers.Upgrade, "websocket")
                && headers.SecWebSocketKey.Count == 1 // RFC 6455 §4.2.1: sent once; two would be answered for neither
                && !string.IsNullOrEmpty(headers.SecWebSocketKey[0]));
    }

    /// <summary>
    /// Answers a WebSocket upgrade request and returns the WebSocket, server side, with the default
    /// <see cref="WebSocketUpgradeOptions"/> apart from the subprotocol and compression. Mirrors Dart's
    /// <c>WebSocketTransformer.upgrade</c>.
    /// </summary>
    /// <remarks>
    /// The same as <see cref="UpgradeAsync(HttpRequest, WebSocketUpgradeOptions)"/> with
    /// <see cref="WebSocketUpgradeOptions.ProtocolSelector"/> and <see cref="WebSocketUpgradeOptions.Compression"/>
    /// set from the parameters: messages up to 16 MiB, and the server's <see cref="HttpServer.IdleTimeout"/> for
    /// silent clients.
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
    /// (From the task.) The request is not a WebSocket upgrade request (it is answered 400; if the exception escapes a
    /// <see cref="HttpServer.Listen"/> handler, it is logged at Debug, the client's doing), or the selector
    /// picked a protocol the client did not offer (answered 500).
    /// </exception>
    public static Task<WebSocket> UpgradeAsync(HttpRequest request, Func<IReadOnlyList<string>, string?>? protocolSelector = null,
        bool compression = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        return UpgradeAsync(request, new WebSocketUpgradeOptions { ProtocolSelector = protocolSelector, Compression = compression });
    }

    /// <summary>
    /// Answers a WebSocket upgrade request (101 Switching Protocols on HTTP/1.1, 200 to an HTTP/2 extended
    /// <c>CONNECT</c>) and returns the WebSocket, server side, with the options' limits. Mirrors Dart's
    /// <c>WebSocketTransformer.upgrade</c>.
    /// </summary>
    /// <remarks>
    /// The connection (on HTTP/2, the stream) belongs to the WebSocket until it is closed or disposed (or the
    /// client goes). A message larger than <see cref="WebSocketUpgradeOptions.MaxMessageSize"/> closes it with
    /// 1009; a client silent for <see cref="WebSocketUpgradeOptions.IdleTimeout"/> is pinged, and the connection is
    /// aborted when no answer comes within another timeout.
    /// </remarks>
    /// <param name="request">The upgrade request; its response must not have been written to.</param>
    /// <param name="options">The subprotocol selector, compression and limits; read once, during this call.</param>
    /// <returns>The open WebSocket.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="WebSocketException">
    /// (From the task.) The request is not a WebSocket upgrade request (it is answered 400; if the exception escapes a
    /// <see cref="HttpServer.Listen"/> handler, it is logged at Debug, the client's doing), or the selector
    /// picked a protocol the client did not offer (answered 500).
    /// </exception>
    public static Task<WebSocket> UpgradeAsync(HttpRequest request, WebSocketUpgradeOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var connect = ExtendedConnect(request);
        var upgrade = connect is null ? request.Features.Get<IHttpUpgradeFeature>() : null;
        if (!IsUpgradeRequest(request) || (connect is null && upgrade is not { IsUpgradableRequest: true }))
        {
            return RefuseAsync(request, StatusCodes.Status400BadRequest, HttpMessages.InvalidUpgradeRequest);
        }

        string? protocol = null;
        var offered = Offered(request.RequestHeaders.SecWebSocketProtocol);
        if (options.ProtocolSelector is { } selector && offered.Count > 0)
        {
            protocol = selector(offered);
            if (protocol is not null && !offered.Contains(protocol))
            {
                return RefuseAsync(request, StatusCodes.Status500InternalServerError, HttpMessages.ProtocolNotOffered(protocol));
            }
        }

        var idleTimeout = options.IdleTimeout ?? request.Response.Server.IdleTimeout ?? Timeout.InfiniteTimeSpan;
        Func<ValueTask<Stream>> accept = connect is not null ? connect.AcceptAsync : () => new ValueTask<Stream>(upgrade!.UpgradeAsync());
        return UpgradeCoreAsync(request, accept, http2: connect is not null, protocol, options.Compression, options.MaxMessageSize, idleTimeout);
    }

    /// <summary>The extended CONNECT feature of an HTTP/2 request asking for a WebSocket (RFC 8441), else null.</summary>
    private static IHttpExtendedConnectFeature? ExtendedConnect(HttpRequest request) =>
        HttpMethods.IsConnect(request.Method)
        && request.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: { } protocol } connect
        && protocol.Equals("websocket", StringComparison.OrdinalIgnoreCase)
            ? connect
            : null;

    private static async Task<WebSocket> UpgradeCoreAsync(HttpRequest request, Func<ValueTask<Stream>> accept, bool http2, string? protocol,
        bool compression, long? maxMessageSize, TimeSpan idleTimeout)
    {
        var requestHeaders = request.RequestHeaders;
        var (deflate, extension) = compression ? DeflateNegotiation.Negotiate(requestHeaders.SecWebSocketExtensions) : (null, null);

        var response = request.Features.Get<IHttpResponseFeature>()!;
        var headers = response.Headers;
        headers.Clear(); // the default response headers have no place on a 101 (or the 200 that opens an HTTP/2 WebSocket)
        request.Response.WriteCookies(headers); // cookies do, as in Dart (a login answered by the upgrade)
        if (http2)
        {
            response.StatusCode = StatusCodes.Status200OK; // RFC 8441: no Upgrade, no key, no accept value
        }
        else
        {
            headers.Upgrade = "websocket";
            headers.SecWebSocketAccept = AcceptKey(requestHeaders.SecWebSocketKey.ToString());
        }

        if (protocol is not null)
        {
            headers.SecWebSocketProtocol = protocol;
        }

        if (extension is not null)
        {
            headers.SecWebSocketExtensions = extension;
        }

        // .NET's keep-alive pings after KeepAliveInterval without a frame from the client and aborts when no pong
        // has come KeepAliveTimeout later; it reads ahead for the pong when the application is not receiving.
        var stream = await request.Response.TakeOverAsync(accept).ConfigureAwait(false);
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = protocol,
            KeepAliveInterval = idleTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : idleTimeout,
            KeepAliveTimeout = idleTimeout,
            DangerousDeflateOptions = deflate,
        });
        stream.Owner = socket;
        return new ServerWebSocket(socket, maxMessageSize ?? long.MaxValue, request.Response.Server.Logger);
    }

    private static async Task<WebSocket> RefuseAsync(HttpRequest request, int status, string message)
    {
        if (!request.Response.IsClosed && request.Response.TryReset(status))
        {
            await request.Response.CloseAsync().ConfigureAwait(false);
        }

        var refusal = new WebSocketException(message);
        throw status == StatusCodes.Status400BadRequest ? request.RefuseClient(refusal) : refusal; // 500: the selector's mistake
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
