using System.Net;
using System.Security.Cryptography;

namespace DartIo.Http.Internal.Sessions;

/// <summary>
/// The sessions of one <see cref="HttpServer"/>, as Dart's <c>_HttpSessionManager</c>: a map by id, a queue ordered by
/// last request (oldest first), and one timer, set for when the oldest would time out.
/// </summary>
/// <remarks>
/// <para>
/// A request that comes back moves its session to the end of the queue and leaves the timer as it is: when the timer
/// fires early for a session seen since, it expires nothing and is set again for the oldest session's own time. So a
/// busy session costs a list move per request and no timer change. Every clock read is the server's
/// <see cref="HttpServer.TimeProvider"/>, so tests drive expiry with a manual clock.
/// </para>
/// <para>
/// One lock guards the map, the queue, the timer and each session's place and time; <see cref="HttpSession.OnTimeout"/>
/// runs outside it. A session's own values have their own lock (<see cref="HttpSession"/>), never taken inside this one.
/// </para>
/// </remarks>
internal sealed class SessionStore(HttpServer server)
{
    /// <summary>The session cookie's name, as Dart's; matched without case in requests, as Dart does.</summary>
    public const string CookieName = "DARTSESSID";

    /// <summary>The default <see cref="HttpServer.SessionTimeout"/>: 20 minutes, as Dart's.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(20);

    /// <summary>The longest a timer is set for (System.Threading.Timer's limit, about 49 days); a longer wait is set again.</summary>
    private static readonly TimeSpan s_longestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HttpSession> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<HttpSession> _byLastSeen = [];
    private TimeSpan _timeout = DefaultTimeout;
    private ITimer? _timer;
    private bool _closed;
    private volatile int _count;

    /// <summary>True once the server has closed: no session is kept any more.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>True when no session is live: a request then has no cookie worth reading.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>How long a session lives without a request; a change applies to the live sessions too, as in Dart.</summary>
    public TimeSpan Timeout
    {
        get
        {
            lock (_gate)
            {
                return _timeout;
            }
        }
        set
        {
            lock (_gate)
            {
                _timeout = value;
                ScheduleLocked();
            }
        }
    }

    /// <summary>Whether request <c>Cookie</c> headers may name a session: a cheap test before parsing them.</summary>
    public static bool MayCarry(Microsoft.Extensions.Primitives.StringValues cookieHeaders)
    {
        foreach (var header in cookieHeaders)
        {
            if (header is not null && header.Contains(CookieName, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes a new session, last in the queue. After the server has closed it is made but not kept (it never times out).</summary>
    public HttpSession Create()
    {
        lock (_gate)
        {
            string id;
            do
            {
                id = NewId();
            }
            while (_sessions.ContainsKey(id));

            var session = new HttpSession(this, id);
            if (_closed)
            {
                session.MarkDestroyed();
                return session;
            }

            _sessions.Add(id, session);
            session.LastSeen = server.TimeProvider.GetTimestamp();
            session.Node = _byLastSeen.AddLast(session);
            _count = _sessions.Count;
            if (_byLastSeen.Count == 1)
            {
                ScheduleLocked(); // the queue was empty: nothing was timed
            }

            return session;
        }
    }

    /// <summary>
    /// The session the request's <c>Cookie</c> headers name, seen again now (no longer new, last in the queue); null when
    /// none names a live session. Several <c>DARTSESSID</c> cookies: the first that names one wins, as in Dart.
    /// </summary>
    /// <remarks>
    /// Reads the pairs in place (<see cref="Http.Internal.Cookies.NextPair"/>): a request pays no <see cref="Cookie"/> per
    /// pair for its session, only a handler that reads <see cref="HttpRequest.Cookies"/> does; and only a value shaped
    /// like an id is looked up, so junk cookies cost no lock.
    /// </remarks>
    public HttpSession? Resume(Microsoft.Extensions.Primitives.StringValues cookieHeaders)
    {
        foreach (var header in cookieHeaders)
        {
            var rest = header.AsSpan();
            while (Http.Internal.Cookies.NextPair(ref rest, out var name, out var value))
            {
                if (value.Length == IdLength && name.Equals(CookieName, StringComparison.OrdinalIgnoreCase)
                    && TryResume(value) is { } session)
                {
                    return session;
                }
            }
        }

        return null;
    }

    private HttpSession? TryResume(ReadOnlySpan<char> id)
    {
        lock (_gate)
        {
            if (!_sessions.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out var session))
            {
                return null;
            }

            session.IsNew = false;
            session.LastSeen = server.TimeProvider.GetTimestamp();
            _byLastSeen.Remove(session.Node!);
            _byLastSeen.AddLast(session.Node!);
            return session;
        }
    }

    /// <summary>Ends a session at once, without its <see cref="HttpSession.OnTimeout"/>; nothing for one already ended.</summary>
    public void Destroy(HttpSession session)
    {
        lock (_gate)
        {
            RemoveLocked(session);
        }
    }

    /// <summary>The server has closed: every session ends (without <see cref="HttpSession.OnTimeout"/>, as in Dart) and the timer goes.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _timer?.Dispose();
            _timer = null;
            foreach (var session in _byLastSeen)
            {
                session.MarkDestroyed();
                session.Node = null;
            }

            _byLastSeen.Clear();
            _sessions.Clear();
            _count = 0;
        }
    }

    /// <summary>The length of a session id: 16 random bytes as lower-case hex.</summary>
    private const int IdLength = 32;

    private static string NewId()
    {
        Span<byte> bytes = stackalloc byte[IdLength / 2];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private void RemoveLocked(HttpSession session)
    {
        if (session.IsDestroyed)
        {
            return;
        }

        session.MarkDestroyed();
        if (session.Node is { } node)
        {
            _byLastSeen.Remove(node);
            session.Node = null;
        }

        _sessions.Remove(session.Id);
        _count = _sessions.Count;
    }

    /// <summary>Sets the one timer for when the oldest session would time out; stops it when there is none.</summary>
    private void ScheduleLocked()
    {
        if (_closed)
        {
            return;
        }

        if (_byLastSeen.First is not { } oldest)
        {
            _timer?.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
            return;
        }

        var due = _timeout - server.TimeProvider.GetElapsedTime(oldest.Value.LastSeen);
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > s_longestTimer ? s_longestTimer : due;
        if (_timer is null)
        {
            // The timer lives as long as the server: it must not hold on to the first session's request context.
            var suppress = !ExecutionContext.IsFlowSuppressed();
            if (suppress)
            {
                ExecutionContext.SuppressFlow();
            }

            try
            {
                _timer = server.TimeProvider.CreateTimer(static state => ((SessionStore)state!).OnTimer(), this, due, System.Threading.Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (suppress)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        else
        {
            _timer.Change(due, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The timer: ends every session whose time is up, sets the timer again, then runs their callbacks.</summary>
    private void OnTimer()
    {
        List<HttpSession>? expired = null;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            var clock = server.TimeProvider;
            while (_byLastSeen.First is { } oldest && clock.GetElapsedTime(oldest.Value.LastSeen) >= _timeout)
            {
                RemoveLocked(oldest.Value);
                (expired ??= []).Add(oldest.Value);
            }

            ScheduleLocked();
        }

        if (expired is null)
        {
            return;
        }

        foreach (var session in expired)
        {
            try
            {
                session.OnTimeout?.Invoke();
            }
            catch (Exception ex)
            {
                HttpLog.SessionTimeoutFailed(server.Logger, ex);
            }
        }
    }
}
