using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace DartIo.Internal;

/// <summary>
/// Every log message of the DartIo libraries, source-generated, with stable event ids:
/// 1-99 plain sockets, 100-199 TLS and certificates, 200-299 HTTP.
/// </summary>
internal static partial class Log
{
    public const string SocketsCategory = "DartIo.Sockets";

    [LoggerMessage(1, LogLevel.Information, "Listening on {Host}:{Port} (shared: {Shared}, v6Only: {V6Only})", EventName = "Bound")]
    public static partial void Bound(ILogger logger, string host, int port, bool shared, bool v6Only);

    [LoggerMessage(2, LogLevel.Information, "Stopped listening on {Host}:{Port}", EventName = "Closed")]
    public static partial void Closed(ILogger logger, string host, int port);

    [LoggerMessage(3, LogLevel.Debug, "A connection to {Host}:{Port} failed before it was accepted ({Error}); accepting goes on", EventName = "ConnectionFailedInBacklog")]
    public static partial void ConnectionFailedInBacklog(ILogger logger, string host, int port, SocketError error);

    [LoggerMessage(4, LogLevel.Warning, "Accepting on {Host}:{Port} is short of resources ({Error}); trying again in {Delay}", EventName = "AcceptBackoff")]
    public static partial void AcceptBackoff(ILogger logger, string host, int port, SocketError error, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Error, "The listening socket on {Host}:{Port} failed; its servers end with this error", EventName = "ListenerFaulted")]
    public static partial void ListenerFaulted(ILogger logger, string host, int port, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Server on {Host}:{Port} closed; the shared socket stays open for the other servers", EventName = "SharerClosed")]
    public static partial void SharerClosed(ILogger logger, string host, int port);

    [LoggerMessage(7, LogLevel.Debug, "Accepted a connection from {Remote} on {Host}:{Port}", EventName = "Accepted")]
    public static partial void Accepted(ILogger logger, string remote, string host, int port);

    [LoggerMessage(8, LogLevel.Debug, "Closed a connection from {Remote} on {Host}:{Port}: its address has {Limit} connections open already (MaxConnectionsPerAddress)", EventName = "PerAddressLimitReached")]
    public static partial void PerAddressLimitReached(ILogger logger, string remote, string host, int port, int limit);

    [LoggerMessage(9, LogLevel.Debug, "A connection from {Remote} on {Host}:{Port} failed in its admission ({Reason}); it is dropped and accepting goes on", EventName = "AdmissionFailed")]
    public static partial void AdmissionFailed(ILogger logger, string remote, string host, int port, string reason);

    [LoggerMessage(20, LogLevel.Debug, "Read a PROXY protocol header from {Remote} on {Host}:{Port}: {Header}", EventName = "ProxyHeaderRead")]
    public static partial void ProxyHeaderRead(ILogger logger, string remote, string host, int port, string header);

    [LoggerMessage(21, LogLevel.Debug, "Closed the connection from {Remote} on {Host}:{Port} at the PROXY protocol header: {Reason}", EventName = "ProxyHeaderRejected")]
    public static partial void ProxyHeaderRejected(ILogger logger, string remote, string host, int port, string reason);

    [LoggerMessage(22, LogLevel.Debug, "The connection from {Remote} on {Host}:{Port} is not from a trusted proxy: any PROXY protocol header it sends is passed on as its own bytes", EventName = "ProxyPeerUntrusted")]
    public static partial void ProxyPeerUntrusted(ILogger logger, string remote, string host, int port);

    public const string TlsCategory = "DartIo.Tls";

    [LoggerMessage(100, LogLevel.Debug, "TLS handshake with {Remote} on {Host}:{Port} failed ({Reason}); the connection is dropped and accepting goes on", EventName = "HandshakeFailed")]
    public static partial void HandshakeFailed(ILogger logger, string remote, string host, int port, string reason);

    [LoggerMessage(101, LogLevel.Debug, "TLS handshake with {Remote} on {Host}:{Port} done ({Protocol}, ALPN {Alpn})", EventName = "HandshakeCompleted")]
    public static partial void HandshakeCompleted(ILogger logger, string remote, string host, int port, System.Security.Authentication.SslProtocols protocol, string alpn);

    [LoggerMessage(102, LogLevel.Information, "Certificate '{Name}' in {Directory} changed on disk; new handshakes use {Subject} ({Thumbprint}, expires {NotAfter:u})", EventName = "CertificateReloaded")]
    public static partial void CertificateReloaded(ILogger logger, string name, string directory, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(103, LogLevel.Warning, "Certificate '{Name}' in {Directory} changed on disk but cannot be used, so the previous one is kept: {Reason}", EventName = "CertificateReloadFailed")]
    public static partial void CertificateReloadFailed(ILogger logger, string name, string directory, string reason);

    [LoggerMessage(104, LogLevel.Warning, "Certificate database entry '{Nickname}' in {Directory} cannot be read and is skipped (the other entries are not affected): {Reason}", EventName = "DatabaseEntryUnreadable")]
    public static partial void DatabaseEntryUnreadable(ILogger logger, string nickname, string directory, string reason);

    [LoggerMessage(105, LogLevel.Information, "Certificate database {Directory}: added '{Nickname}' ({Subject}, {Thumbprint})", EventName = "CertificateAdded")]
    public static partial void CertificateAdded(ILogger logger, string nickname, string directory, string subject, string thumbprint);

    [LoggerMessage(106, LogLevel.Information, "Certificate database {Directory}: removed '{Nickname}'", EventName = "CertificateRemoved")]
    public static partial void CertificateRemoved(ILogger logger, string nickname, string directory);

    [LoggerMessage(107, LogLevel.Information, "Serving TLS on {Host}:{Port} with {Subject} (client certificates: {ClientCertificates}, ALPN: {Alpn})", EventName = "SecureBound")]
    public static partial void SecureBound(ILogger logger, string host, int port, string subject, string clientCertificates, string alpn);
}
