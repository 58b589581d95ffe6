using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Authentication;
using DartIo.Internal.Listening;

namespace DartIo.Internal;

/// <summary>
/// The meter <c>DartIo</c> (docs/observability.md): what the accept pipeline does with connections, counted where
/// each stage does it, once. No public API: a listener subscribes by the name (<c>AddMeter("DartIo")</c>).
/// </summary>
/// <remarks>
/// Every hook checks the instrument's <c>Enabled</c> first, so with nothing listening a measurement costs one field
/// read and builds no tags. Tags are the listening socket's <see cref="ServerTags"/> (built once per socket), plus at
/// most one or two attributes in a <see cref="TagList"/>, which holds up to eight inline: no allocation per measurement.
/// </remarks>
internal static class DartIoMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "DartIo";

    /// <summary>The bucket boundaries ASP.NET Core advises for its request and handshake durations, in seconds.</summary>
    internal static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly Meter s_meter = new(MeterName, typeof(DartIoMetrics).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> AcceptedConnections = s_meter.CreateCounter<long>("dartio.accepted_connections", "{connection}",
        "Connections accepted from the OS listening socket, before the per-address limit and the admission stages.");

    public static readonly UpDownCounter<long> ActiveConnections = s_meter.CreateUpDownCounter<long>("dartio.active_connections", "{connection}",
        "Accepted connections that still hold their place: in their admission stages, or with their server, until they close.");

    public static readonly Counter<long> RejectedConnections = s_meter.CreateCounter<long>("dartio.rejected_connections", "{connection}",
        "Accepted connections closed before they reached a server, by error.type: the limit or stage that refused them.");

    public static readonly Counter<long> ProxyHeaders = s_meter.CreateCounter<long>("dartio.proxy_headers", "{header}",
        "PROXY protocol headers looked for on connections from trusted peers, by dartio.proxy.result and dartio.proxy.version.");

    public static readonly Histogram<double> TlsHandshakeDuration = s_meter.CreateHistogram<double>("dartio.tls_handshake.duration", "s",
        "Server TLS handshakes of accepted connections: tls.protocol.version when done, error.type when failed.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> SharedSocketDeliveries = s_meter.CreateCounter<long>("dartio.shared_socket.deliveries", "{connection}",
        "Connections a shared listening socket handed to each of its sharers (dartio.sharer), in round-robin turn.");

    public static readonly Counter<long> ConnectionIO = s_meter.CreateCounter<long>("dartio.connection.io", "By",
        "Bytes received and sent by DartIo connection streams (the wire's bytes: encrypted ones under TLS), by network.io.direction.");

    /// <summary>The attribute of a rejection's or a failed handshake's reason (OpenTelemetry's <c>error.type</c>).</summary>
    public const string ErrorType = "error.type";

    /// <summary>The values of <c>error.type</c> on <c>dartio.rejected_connections</c>: a fixed, small set.</summary>
    public static class Rejections
    {
        /// <summary>The client's address had its <c>MaxConnectionsPerAddress</c> already.</summary>
        public const string MaxConnectionsPerAddress = "max_connections_per_address";

        /// <summary><c>ProxyProtocol = Required</c> and the peer is not a trusted proxy.</summary>
        public const string ProxyPeerUntrusted = "proxy_peer_untrusted";

        /// <summary>The PROXY header was malformed, missing (Required) or cut short.</summary>
        public const string ProxyHeaderInvalid = "proxy_header_invalid";

        /// <summary>The admission deadline (10 s: first bytes, PROXY header and TLS handshake together) passed.</summary>
        public const string Timeout = "timeout";

        /// <summary>The server closed while the connection was in its admission stages, or nobody was left to take it.</summary>
        public const string ServerClosed = "server_closed";

        /// <summary>The TLS handshake failed (the histogram's error.type says how).</summary>
        public const string TlsHandshakeFailed = "tls_handshake_failed";

        /// <summary>The peer reset or broke the connection before sending anything.</summary>
        public const string ConnectionError = "connection_error";

        /// <summary>Anything else a stage threw (a defect: it is logged at Debug too).</summary>
        public const string Other = "_OTHER";
    }

    /// <summary>Builds the attributes every measurement of one listening socket carries (once per socket).</summary>
    public static KeyValuePair<string, object?>[] ServerTags(InternetAddress address, int port) => address.Type == InternetAddressType.Unix
        ? [new("server.address", address.Address), new("network.transport", "unix")]
        : [new("server.address", address.Host), new("server.port", port), new("network.transport", "tcp")];

    /// <summary>A connection came out of the OS accept. Returns whether it was counted active, for <see cref="Released"/>.</summary>
    public static bool Accepted(ListeningSocket listener)
    {
        if (AcceptedConnections.Enabled)
        {
            AcceptedConnections.Add(1, listener.MetricTags);
        }

        if (ActiveConnections.Enabled)
        {
            ActiveConnections.Add(1, listener.MetricTags);
            return true;
        }

        return false;
    }

    /// <summary>A connection gave its place back; only one counted up is counted down, so a listener that came meanwhile stays balanced.</summary>
    public static void Released(ListeningSocket listener, bool countedActive)
    {
        if (countedActive)
        {
            ActiveConnections.Add(-1, listener.MetricTags);
        }
    }

    /// <summary>A connection was closed before reaching a server, for <paramref name="reason"/> (one of <see cref="Rejections"/>).</summary>
    public static void Rejected(ListeningSocket listener, string reason)
    {
        if (RejectedConnections.Enabled)
        {
            var tags = new TagList(listener.MetricTags) { { ErrorType, reason } };
            RejectedConnections.Add(1, tags);
        }
    }

    /// <summary>
    /// A stage that failed: the deadline's reason when it passed or the server closed (<see cref="AdmissionDeadline.ErrorType"/>),
    /// else the stage's own.
    /// </summary>
    public static void Rejected(ListeningSocket listener, AdmissionDeadline deadline, string stageReason) =>
        Rejected(listener, deadline.ErrorType ?? stageReason);

    /// <summary>The PROXY stage looked for a header: <paramref name="result"/> is accepted, absent or rejected.</summary>
    public static void ProxyHeader(ListeningSocket listener, string result, ProxyHeader? header, string? errorType = null)
    {
        if (ProxyHeaders.Enabled)
        {
            var tags = new TagList(listener.MetricTags) { { "dartio.proxy.result", result } };
            if (header is not null)
            {
                tags.Add("dartio.proxy.version", header.Version == 1 ? "1" : "2");
            }

            if (errorType is not null)
            {
                tags.Add(ErrorType, errorType);
            }

            ProxyHeaders.Add(1, tags);
        }
    }

    /// <summary>A start timestamp for a duration, or 0 when the histogram has no listener (then nothing is recorded).</summary>
    public static long StartHandshake() => TlsHandshakeDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a handshake that completed with <paramref name="protocol"/>.</summary>
    public static void HandshakeCompleted(ListeningSocket listener, long started, SslProtocols protocol)
    {
        if (started != 0 && TlsHandshakeDuration.Enabled)
        {
            var tags = new TagList(listener.MetricTags) { { "tls.protocol.version", TlsVersion(protocol) } };
            TlsHandshakeDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>Records a handshake that failed, <paramref name="errorType"/> saying how.</summary>
    public static void HandshakeFailed(ListeningSocket listener, long started, string errorType)
    {
        if (started != 0 && TlsHandshakeDuration.Enabled)
        {
            var tags = new TagList(listener.MetricTags) { { ErrorType, errorType } };
            TlsHandshakeDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>A shared listening socket handed a connection to <paramref name="sharer"/>.</summary>
    public static void Delivered(ListeningSocket.Sharer sharer)
    {
        if (SharedSocketDeliveries.Enabled && sharer.Listener.Shared)
        {
            SharedSocketDeliveries.Add(1, sharer.MetricTags);
        }
    }

    /// <summary>Bytes a connection stream received or sent; <paramref name="listener"/> is null for a connection DartIo connected.</summary>
    public static void Transferred(ListeningSocket? listener, string direction, int count)
    {
        if (count > 0 && ConnectionIO.Enabled)
        {
            var tags = listener is null ? default : new TagList(listener.MetricTags);
            tags.Add("network.io.direction", direction);
            ConnectionIO.Add(count, tags);
        }
    }

    /// <summary>The values of <c>network.io.direction</c>.</summary>
    public const string Receive = "receive";

    /// <inheritdoc cref="Receive"/>
    public const string Transmit = "transmit";

    /// <summary>OpenTelemetry's <c>tls.protocol.version</c>: the version number alone (DartIo's policy allows only these two).</summary>
    private static string TlsVersion(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "1.3",
        SslProtocols.Tls12 => "1.2",
        _ => protocol.ToString(),
    };
}
