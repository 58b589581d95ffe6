using DartIo.Http.Internal;
using DartIo.Http.Internal.Sessions;

namespace DartIo;

/// <content>Sessions: the store of <see cref="HttpSession"/>s behind <see cref="HttpRequest.Session"/>, and its timeout.</content>
public sealed partial class HttpServer
{
    private SessionStore? _sessions;

    /// <summary>
    /// How long a session lives without a request before it ends (and its <see cref="HttpSession.OnTimeout"/> runs):
    /// 20 minutes by default. A change applies to the live sessions too, counted from each one's last request.
    /// Mirrors Dart's <c>sessionTimeout</c> (seconds there).
    /// </summary>
    /// <remarks>Timed by one timer for the whole server, however many sessions there are.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) Zero or negative.</exception>
    public TimeSpan SessionTimeout
    {
        get => _sessions?.Timeout ?? SessionStore.DefaultTimeout;
        set
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, HttpMessages.NonPositiveSessionTimeout);
            }

            Sessions.Timeout = value;
        }
    }

    /// <summary>The server's sessions, made on first use.</summary>
    internal SessionStore Sessions
    {
        get
        {
            if (Volatile.Read(ref _sessions) is { } sessions)
            {
                return sessions;
            }

            Interlocked.CompareExchange(ref _sessions, new SessionStore(this), null);
            return _sessions;
        }
    }

    /// <summary>The sessions if any was ever made (or the timeout set); null before, so requests skip the lookup.</summary>
    internal SessionStore? SessionsIfAny => Volatile.Read(ref _sessions);
}
