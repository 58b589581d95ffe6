using System.Diagnostics;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// One request's telemetry between <see cref="RequestTelemetry.Begin"/> and <see cref="RequestTelemetry.End"/>: a
/// field of the <see cref="HttpRequest"/>, so that a request nobody measures or traces allocates nothing for it.
/// </summary>
internal struct RequestTelemetryState
{
    /// <summary>The request Activity, when the ActivitySource had a listener that wanted it.</summary>
    public Activity? Activity;

    /// <summary>The start timestamp (<see cref="Stopwatch.GetTimestamp"/>) for the duration; 0 when not measured.</summary>
    public long Started;

    /// <summary>Whether <c>http.server.active_requests</c> counted this request up (so it is counted down once).</summary>
    public bool CountedActive;

    /// <summary>The exception the handler failed with, for <c>error.type</c> and the Activity's status.</summary>
    public Exception? Failure;
}
