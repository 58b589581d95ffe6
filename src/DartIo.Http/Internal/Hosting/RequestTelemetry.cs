using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// What ASP.NET's hosting layer would measure and trace for a request, which DartIo bypasses (docs/observability.md):
/// <c>http.server.request.duration</c> and <c>http.server.active_requests</c> on the meter <c>DartIo.Http</c>, and a
/// server Activity <c>DartIo.Http.HttpRequestIn</c> from the ActivitySource <c>DartIo.Http</c>, continuing the
/// client's W3C <c>traceparent</c> through <see cref="DistributedContextPropagator.Current"/>.
/// </summary>
/// <remarks>
/// <para>
/// A request is begun in <c>CreateContext</c> and ended in <c>DisposeContext</c>, Kestrel's two calls around it (the
/// single dispatch path, <see cref="HttpApplication"/>): so the Activity lasts until the response has completed (for
/// <c>await foreach</c>, until the consumer closed it; for a WebSocket, until the upgraded connection is done), and,
/// started in Kestrel's request flow, it is <see cref="Activity.Current"/> in a <c>Listen</c> handler.
/// </para>
/// <para>
/// With nothing listening, each request costs three checks (<c>Enabled</c> twice, <c>HasListeners</c>) and no
/// allocation: the per-request state lives in fields of the <see cref="HttpRequest"/>.
/// </para>
/// </remarks>
internal static class RequestTelemetry
{
    /// <summary>The meter's name, for <c>AddMeter</c>; the core library's socket meter is <c>DartIo</c>.</summary>
    public const string MeterName = "DartIo.Http";

    /// <summary>The ActivitySource's name, for <c>AddSource</c>.</summary>
    public const string ActivitySourceName = "DartIo.Http";

    /// <summary>The request Activity's operation name (ASP.NET's is <c>Microsoft.AspNetCore.Hosting.HttpRequestIn</c>).</summary>
    public const string ActivityName = "DartIo.Http.HttpRequestIn";

    private static readonly string? s_version = typeof(RequestTelemetry).Assembly.GetName().Version?.ToString();

    private static readonly Meter s_meter = new(MeterName, s_version);

    private static readonly ActivitySource s_source = new(ActivitySourceName, s_version);

    /// <summary>As ASP.NET's: the same name, unit and bucket advice, so dashboards built for it work unchanged.</summary>
    private static readonly Histogram<double> s_duration = s_meter.CreateHistogram<double>("http.server.request.duration", "s",
        "Duration of HTTP server requests.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    private static readonly UpDownCounter<long> s_active = s_meter.CreateUpDownCounter<long>("http.server.active_requests", "{request}",
        "Number of active HTTP server requests.");

    private static readonly DistributedContextPropagator.PropagatorGetterCallback s_headerGetter = GetHeader;

    /// <summary>Status codes 100-599 boxed once each, as ASP.NET does, so a measured request boxes nothing.</summary>
    private static readonly object?[] s_boxedStatus = new object?[500];

    /// <summary>The attributes of one server, for every measurement of its requests: server.address and server.port.</summary>
    public static KeyValuePair<string, object?>[] ServerTags(InternetAddress address, int port) => address.Type == InternetAddressType.Unix
        ? [new("server.address", address.Address)]
        : [new("server.address", address.Host), new("server.port", port)];

    /// <summary>Begins a request's telemetry, in Kestrel's <c>CreateContext</c>.</summary>
    public static void Begin(HttpRequest request, KeyValuePair<string, object?>[] serverTags, bool secure)
    {
        if (s_active.Enabled)
        {
            var tags = new TagList(serverTags) { { "http.request.method", Method(request.Method) }, { "url.scheme", Scheme(secure) } };
            s_active.Add(1, tags);
            request.Telemetry.CountedActive = true;
        }

        if (s_duration.Enabled)
        {
            request.Telemetry.Started = Stopwatch.GetTimestamp();
        }

        if (s_source.HasListeners())
        {
            request.Telemetry.Activity = StartActivity(request, secure);
        }
    }

    /// <summary>
    /// Ends it, in Kestrel's <c>DisposeContext</c>: the duration with the status sent, the active count down, the
    /// Activity stopped (which makes its parent, if any, current again).
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="serverTags">The server's attributes, as given to <see cref="Begin"/>.</param>
    /// <param name="secure">Whether the server is HTTPS.</param>
    /// <param name="exception">What Kestrel saw fail, if anything; a handler's failure is in <see cref="RequestTelemetryState.Failure"/>.</param>
    public static void End(HttpRequest request, KeyValuePair<string, object?>[] serverTags, bool secure, Exception? exception)
    {
        ref var state = ref request.Telemetry;
        if (!state.CountedActive && state.Started == 0 && state.Activity is null)
        {
            return; // nothing was listening when the request began
        }

        var failure = state.Failure ?? exception;
        var method = Method(request.Method);
        var scheme = Scheme(secure);
        if (state.CountedActive)
        {
            state.CountedActive = false;
            s_active.Add(-1, new TagList(serverTags) { { "http.request.method", method }, { "url.scheme", scheme } });
        }

        var status = request.Response.StatusCode;
        var errorType = failure is not null ? failure.GetType().FullName : status >= 500 ? StatusText(status) : null;
        if (state.Started != 0)
        {
            var elapsed = Stopwatch.GetElapsedTime(state.Started).TotalSeconds;
            state.Started = 0;
            if (s_duration.Enabled)
            {
                var tags = new TagList(serverTags)
                {
                    { "http.request.method", method },
                    { "url.scheme", scheme },
                    { "http.response.status_code", Boxed(status) },
                    { "network.protocol.name", "http" },
                    { "network.protocol.version", request.ProtocolVersion },
                };
                if (errorType is not null)
                {
                    tags.Add("error.type", errorType);
                }

                s_duration.Record(elapsed, tags);
            }
        }

        if (state.Activity is { } activity)
        {
            state.Activity = null;
            StopActivity(activity, status, errorType, failure);
        }
    }

    private static Activity? StartActivity(HttpRequest request, bool secure)
    {
        var headers = request.RequestHeaders;
        var propagator = DistributedContextPropagator.Current;
        propagator.ExtractTraceIdAndState(headers, s_headerGetter, out var traceParent, out var traceState);
        var hasParent = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        if (!hasParent && Activity.Current is not null)
        {
            // A request without a traceparent is a new trace (a root), never the child of an Activity that happens to be
            // current. Kestrel's request flow carries none today (its connections start without the binder's execution
            // context: RequestTelemetryTests binds inside one), so this is a guard, not a path; Stop restores none.
            Activity.Current = null;
        }

        var activity = s_source.CreateActivity(ActivityName, ActivityKind.Server, hasParent ? parent : default);
        if (activity is null)
        {
            return null;
        }

        if (hasParent)
        {
            var baggage = propagator.ExtractBaggage(headers, s_headerGetter);
            if (baggage is not null)
            {
                foreach (var item in baggage)
                {
                    activity.AddBaggage(item.Key, item.Value);
                }
            }
        }

        var method = Method(request.Method);
        activity.DisplayName = method == OtherMethod ? "HTTP" : method;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("http.request.method", method);
            if (method == OtherMethod)
            {
                activity.SetTag("http.request.method_original", request.Method);
            }

            activity.SetTag("url.scheme", Scheme(secure));
            activity.SetTag("url.path", request.Path);
            activity.SetTag("network.protocol.name", "http");
            activity.SetTag("network.protocol.version", request.ProtocolVersion);
            if (request.ConnectionInfo is { } info)
            {
                activity.SetTag("client.address", info.RemoteAddress.Address);
                activity.SetTag("client.port", info.RemotePort);
                activity.SetTag("server.port", info.LocalPort);
            }

            if (headers.Host.Count > 0)
            {
                activity.SetTag("server.address", HostName(headers.Host.ToString()));
            }

            if (headers.UserAgent.Count > 0)
            {
                activity.SetTag("user_agent.original", headers.UserAgent.ToString());
            }
        }

        activity.Start();
        return activity;
    }

    private static void StopActivity(Activity activity, int status, string? errorType, Exception? failure)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("http.response.status_code", Boxed(status));
            if (errorType is not null)
            {
                activity.SetTag("error.type", errorType);
            }
        }

        if (errorType is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, failure?.Message);
        }

        activity.Stop();
    }

    /// <summary>The value of <c>http.request.method</c> for a method outside the known set (semantic conventions).</summary>
    private const string OtherMethod = "_OTHER";

    /// <summary>The known methods as themselves (literals: no new string), any other as <c>_OTHER</c>.</summary>
    private static string Method(string method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        "QUERY" => "QUERY",
        _ => OtherMethod,
    };

    private static string Scheme(bool secure) => secure ? "https" : "http";

    /// <summary>The status as an object: the cached box for 100-599 (a race only boxes twice), a new one otherwise.</summary>
    private static object Boxed(int status)
    {
        if ((uint)(status - 100) >= (uint)s_boxedStatus.Length)
        {
            return status; // 600-999, allowed but rare: boxed each time
        }

        ref var cached = ref s_boxedStatus[status - 100];
        cached ??= status;
        return cached;
    }

    /// <summary>The status as <c>error.type</c> for a 5xx without an exception; the common ones without allocating.</summary>
    private static string StatusText(int status) => status switch
    {
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The host of a Host header without its port (<c>[::1]:8080</c> → <c>[::1]</c> → <c>::1</c>).</summary>
    private static string HostName(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? host[1..end] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon >= 0 ? host[..colon] : host;
    }

    private static void GetHeader(object? carrier, string fieldName, out string? fieldValue, out IEnumerable<string>? fieldValues)
    {
        fieldValues = null;
        var values = ((IHeaderDictionary)carrier!)[fieldName];

        // A header sent twice reads as its values joined with a comma: an invalid traceparent, so the request starts a
        // new trace, as W3C Trace Context asks of a server that cannot tell which one to continue.
        fieldValue = values.Count == 0 ? null : values.ToString();
    }
}
