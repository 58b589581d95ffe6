using System.ComponentModel;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// The logger factory DartIo gives Kestrel: the user's factory, with what a remote client can make Kestrel say
/// brought down to Debug (SPEC 12: nothing a client sends may log at Error or Critical). Demoted, never dropped:
/// with Debug on, every entry is still there, at its event id. The policy is drawn in docs/http.md.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Kestrel's per-connection categories (<c>.Connections</c>, <c>.BadRequests</c>, <c>.Http2</c>,
/// <c>.Http3</c>, <c>.Https…</c>, <c>.Transport…</c>) log at Debug at most: each entry there is about one
/// connection and what its peer did (an HTTP/2 flood such as rapid reset, a protocol violation, a reset, a
/// failed handshake, a connection over the limit).</item>
/// <item>Kestrel's general category keeps its levels (an application error, a slow heartbeat, a failed stop are
/// the server's own), except "unhandled exception while processing" a connection when the exception is one a
/// peer's handshake causes (TLS, I/O, or OpenSSL's <see cref="NotSupportedException"/> for a ClientHello that
/// offers no suite the certificate can serve).</item>
/// </list>
/// </remarks>
internal sealed class KestrelLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private const string Kestrel = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>The categories that only ever speak of one connection and its peer.</summary>
    private static readonly string[] s_perConnection =
    [
        Kestrel + ".Connections",
        Kestrel + ".BadRequests",
        Kestrel + ".Http2",
        Kestrel + ".Http3",
        Kestrel + ".Https",
        Kestrel + ".Transport",
    ];

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        if (categoryName == Kestrel)
        {
            return new DemotingLogger(logger, perConnection: false);
        }

        foreach (var prefix in s_perConnection)
        {
            if (categoryName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return new DemotingLogger(logger, perConnection: true);
            }
        }

        return logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>Not ours to dispose: the factory belongs to whoever set <see cref="DartIoLogging.LoggerFactory"/> or opened the <see cref="DartIoLogging.UseLoggerFactory"/> scope.</summary>
    public void Dispose()
    {
    }

    /// <summary>Whether an entry of Kestrel's general category is a peer's doing rather than the server's.</summary>
    private static bool IsPeerFailure(EventId eventId, Exception? exception) =>
        eventId.Id == 0 && exception is AuthenticationException or IOException or NotSupportedException or Win32Exception
            or OperationCanceledException;

    /// <summary>
    /// Kestrel's Information notes about what a client sent that the application left unread (32
    /// <c>RequestBodyNotEntirelyRead</c>, 33 <c>RequestBodyDrainTimedOut</c>): one per request, so a client could
    /// flood an Information log with them (about 150 lines a second from one HTTP/2 connection).
    /// </summary>
    private static bool IsPeerNote(EventId eventId) => eventId.Id is 32 or 33;

    private sealed class DemotingLogger(ILogger inner, bool perConnection) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) =>
            perConnection ? inner.IsEnabled(Demote(logLevel))
            : inner.IsEnabled(logLevel) || (logLevel >= LogLevel.Error && inner.IsEnabled(LogLevel.Debug));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var level = perConnection || IsPeerNote(eventId) || (logLevel >= LogLevel.Error && IsPeerFailure(eventId, exception))
                ? Demote(logLevel) : logLevel;
            if (inner.IsEnabled(level))
            {
                inner.Log(level, eventId, state, exception, formatter);
            }
        }

        private static LogLevel Demote(LogLevel level) => level is > LogLevel.Debug and < LogLevel.None ? LogLevel.Debug : level;
    }
}
