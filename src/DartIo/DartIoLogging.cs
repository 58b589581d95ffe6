using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DartIo;

/// <summary>
/// Where the DartIo libraries send their logs. Binds and closes are logged at Information, per-connection
/// events at Debug; keys and passwords never.
/// </summary>
/// <remarks>
/// A server (and a certificate database) takes its loggers when it is bound (opened): from the innermost
/// <see cref="UseLoggerFactory"/> scope of the calling flow if there is one, else from the process-wide
/// <see cref="LoggerFactory"/>. So an application host can give each server it binds its own factory (DartIo.Hosting
/// gives the host's) while code that sets <see cref="LoggerFactory"/> once keeps working unchanged.
/// </remarks>
public static class DartIoLogging
{
    private static ILoggerFactory s_loggerFactory = NullLoggerFactory.Instance;
    private static readonly AsyncLocal<ILoggerFactory?> s_scoped = new();

    /// <summary>
    /// The process-wide logger factory, used by servers and connections created after it is set outside any
    /// <see cref="UseLoggerFactory"/> scope. Default: no logging.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public static ILoggerFactory LoggerFactory
    {
        get => Volatile.Read(ref s_loggerFactory);
        set => Volatile.Write(ref s_loggerFactory, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>
    /// The factory that a server bound here and now would take: the innermost <see cref="UseLoggerFactory"/> scope's
    /// in the calling flow, else <see cref="LoggerFactory"/>.
    /// </summary>
    public static ILoggerFactory CurrentLoggerFactory => s_scoped.Value ?? LoggerFactory;

    /// <summary>
    /// Makes <paramref name="loggerFactory"/> the factory of the servers bound (and certificate databases opened) in
    /// the calling flow until the returned scope is disposed; <see cref="LoggerFactory"/> stays the fallback
    /// everywhere else. Scopes nest; each follows the flow it was made in (an <see cref="AsyncLocal{T}"/>), so
    /// concurrent binds with different factories do not see each other's.
    /// </summary>
    /// <remarks>
    /// A server keeps the loggers it took at bind time for its whole life, so the scope only needs to cover the
    /// bind. Dispose the scope in the flow that made it (a <c>using</c> around the bind); disposing restores the
    /// factory that was current before it.
    /// </remarks>
    /// <param name="loggerFactory">The factory, for example the application host's. It is not disposed by DartIo.</param>
    /// <returns>The scope; dispose it to restore the previous factory.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="loggerFactory"/> is null.</exception>
    public static IDisposable UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var scope = new Scope(s_scoped.Value);
        s_scoped.Value = loggerFactory;
        return scope;
    }

    internal static ILogger CreateLogger(string category) => CurrentLoggerFactory.CreateLogger(category);

    /// <summary>Restores the factory that was current when the scope was made.</summary>
    private sealed class Scope(ILoggerFactory? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_scoped.Value = previous;
            }
        }
    }
}
