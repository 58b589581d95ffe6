using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DartIo.Http.Internal;
using DartIo.Http.Internal.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace DartIo;

/// <content>Request dispatch: each request Kestrel hands over goes to the <see cref="Listen"/> handler or the enumeration, and its response is seen to the end.</content>
public sealed partial class HttpServer
{
    /// <summary>The server's logger, for what its requests (an upgraded WebSocket) log.</summary>
    internal ILogger Logger => _logger;

    internal HttpRequest CreateRequest(IFeatureCollection features)
    {
        var connection = features.Get<ConnectionState>();
        connection?.RequestStarted();
        var request = new HttpRequest(features, connection, this, _secure);
        request.Response.ApplyDefaults(_defaultResponseHeaders.Snapshot, _serverHeader);
        try
        {
            RequestTelemetry.Begin(request, _metricTags, _secure);
        }
        catch (Exception ex)
        {
            // An application's ActivityListener or MeterListener threw: as in ASP.NET the exception goes on to Kestrel,
            // which ends the connection, but Kestrel will not call DisposeContext for a context it never got, so what
            // was begun (the active count, the connection's request) ends here.
            EndRequest(request, ex);
            throw;
        }

        return request;
    }

    internal Task ProcessRequestAsync(HttpRequest request)
    {
        if (_handler is { } handler)
        {
            Task handling;
            try
            {
                handling = handler(request);
            }
            catch (Exception ex)
            {
                return HandlerFailedAsync(request, ex);
            }

            return handling.IsCompletedSuccessfully ? AfterHandler(request) : AwaitHandlerAsync(handling, request);
        }

        if (_requests is { } requests && requests.Writer.TryWrite(request))
        {
            return WhenRespondedAsync(request.Response);
        }

        // The stream has ended (the server is closing): nobody will take this request.
        return RefuseAsync(request);
    }

    /// <summary>Answers 503 (and closes the connection) to a request that no subscriber will see.</summary>
    private Task RefuseAsync(HttpRequest request)
    {
        HttpLog.RequestAfterClose(_logger, _source.Address.Host, _source.Port);
        if (request.Response.TryReset(StatusCodes.Status503ServiceUnavailable))
        {
            request.Response.PersistentConnection = false;
        }

        return request.Response.CloseAsync();
    }

    /// <summary>Kestrel is done with the request: its response has completed (or been abandoned), and its telemetry ends.</summary>
    internal void EndRequest(HttpRequest request, Exception? exception)
    {
        request.Connection?.RequestEnded();
        if (!request.Response.IsClosed)
        {
            request.Response.Abandon();
        }

        RequestTelemetry.End(request, _metricTags, _secure, exception);
    }

    /// <summary>Kestrel's request waits here, in <c>await foreach</c> mode, for the consumer's answer.</summary>
    private static Task WhenRespondedAsync(HttpResponse response)
    {
        var responded = response.WhenResponded();
        return responded.IsCompleted ? AfterResponse(response) : AwaitResponseAsync(responded, response);
    }

    private static async Task AwaitResponseAsync(Task responded, HttpResponse response)
    {
        await responded.ConfigureAwait(false);
        await AfterResponse(response).ConfigureAwait(false);
    }

    /// <summary>An upgraded connection belongs to the WebSocket until it is done; any other is free now.</summary>
    private static Task AfterResponse(HttpResponse response) =>
        response.Request.Upgraded ?? Task.CompletedTask;

    private static Task AfterHandler(HttpRequest request)
    {
        if (request.Upgraded is { } upgraded)
        {
            return upgraded;
        }

        return request.Response.IsClosed ? Task.CompletedTask : request.Response.CloseAsync();
    }

    private async Task AwaitHandlerAsync(Task handling, HttpRequest request)
    {
        try
        {
            await handling.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await HandlerFailedAsync(request, ex).ConfigureAwait(false);
            return;
        }

        await AfterHandler(request).ConfigureAwait(false);
    }

    private Task HandlerFailedAsync(HttpRequest request, Exception exception)
    {
        var response = request.Response;
        if (exception is IOException or OperationCanceledException or HttpException && response.ConnectionGone)
        {
            // The handler failed because its client went away (or a forced close cut it): that is no application error.
            return response.CloseAborted(exception.Message);
        }

        if (ReferenceEquals(exception, request.ClientRefusal))
        {
            // An upgrade (a WebSocket, a detached socket) asked of a request that asks for none: a crawler or a scanner
            // on the endpoint, the client's doing. Answered 400, as WebSocketTransformer answers it itself.
            HttpLog.UpgradeRefused(_logger, request.Method, request.RawTarget, exception.Message);
            if (response.TryReset(StatusCodes.Status400BadRequest))
            {
                return response.CloseAsync();
            }

            return response.IsClosed ? Task.CompletedTask : response.CloseAborted(exception.Message);
        }

        if (RejectedBodyStatus(exception) is { } rejectedStatus)
        {
            // Kestrel refused what the client sent while the handler read it (a body over MaxRequestBodySize, a body
            // slower than MinRequestBodyDataRate, broken chunked framing): the client's doing, answered with Kestrel's
            // own status, not a 500.
            HttpLog.RequestLimitExceeded(_logger, request.Method, request.RawTarget, rejectedStatus, exception.Message);
            if (response.TryReset(rejectedStatus))
            {
                if (request.ProtocolVersion != "2")
                {
                    response.PersistentConnection = false; // the rest of the body is unread, and unwanted (HTTP/2 resets only the stream)
                }
                return response.CloseAsync();
            }

            return response.IsClosed ? Task.CompletedTask : response.CloseAborted(exception.Message);
        }

        if (exception is WebSocketException && request.Upgraded is not null)
        {
            // A WebSocket its peer broke, or that a limit closed (1009, no pong to a ping): the client's doing. The
            // connection ends as after any WebSocket, once the socket is disposed, so its close frame still goes out.
            HttpLog.WebSocketHandlerEnded(_logger, request.Method, request.RawTarget, exception.Message);
            return AfterHandler(request);
        }

        HttpLog.HandlerFailed(_logger, request.Method, request.RawTarget, exception);
        request.Telemetry.Failure = exception; // error.type and the request Activity's error status
        if (response.TryReset(StatusCodes.Status500InternalServerError))
        {
            return response.CloseAsync();
        }

        if (!response.IsClosed || request.Upgraded is not null)
        {
            // Part of the response is out (or buffered in Kestrel): all that is left is to cut the connection.
            request.Features.Get<IHttpRequestLifetimeFeature>()?.Abort();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The status Kestrel gives a request body it refused, read by the handler: its <see cref="BadHttpRequestException"/>'s,
    /// or 400 for the one framing error Kestrel reports as a plain <see cref="IOException"/> (a chunk size that
    /// overflows: <c>Http1ChunkedEncodingMessageBody.CalculateChunkSize</c> wraps the <see cref="OverflowException"/>);
    /// null for any other exception.
    /// </summary>
    private static int? RejectedBodyStatus(Exception exception) => exception switch
    {
        BadHttpRequestException rejected => rejected.StatusCode,
        IOException { InnerException: OverflowException } => StatusCodes.Status400BadRequest,
        _ => null,
    };

    /// <summary>Logs, at Debug, a response cut short because its connection went away (SPEC 12: a client's abort is no error).</summary>
    internal void LogResponseAborted(HttpRequest request, string reason) =>
        HttpLog.ResponseAborted(_logger, request.Method, request.RawTarget, reason);

    private async IAsyncEnumerable<HttpRequest> EnumerateAsync(ChannelReader<HttpRequest> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var request))
                {
                    yield return request;
                }
            }
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);

            // Requests that were queued when the loop ended would otherwise wait for an answer forever.
            while (reader.TryRead(out var leftover))
            {
                try
                {
                    await RefuseAsync(leftover).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    // Its client has gone already.
                }
            }
        }
    }
}
