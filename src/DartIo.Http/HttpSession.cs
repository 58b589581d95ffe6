using System.Collections;
using System.Diagnostics.CodeAnalysis;
using DartIo.Http.Internal.Sessions;

namespace DartIo;

/// <summary>
/// A browser's session on an <see cref="HttpServer"/>: values kept in the server's memory between that browser's
/// requests, found again through the <c>DARTSESSID</c> cookie. Mirrors Dart's <c>HttpSession</c>.
/// </summary>
/// <remarks>
/// <para>
/// Made on first use of <see cref="HttpRequest.Session"/>; every response to a request that has a session sends its
/// cookie (<c>DARTSESSID=id; Path=/; HttpOnly</c>, and <c>Secure</c> on an HTTPS server). A request that sends the
/// cookie of a live session has that session, and keeps it alive for another <see cref="HttpServer.SessionTimeout"/>,
/// whether or not its handler looks at it. A session that sees no request for <see cref="HttpServer.SessionTimeout"/>
/// ends, and then its <see cref="OnTimeout"/> runs. <see cref="Destroy"/> ends it at once. An unknown or ended id
/// (a forged cookie, or one from before a restart: sessions live in memory only) finds no session, and the next use of
/// <see cref="HttpRequest.Session"/> makes a new one.
/// </para>
/// <para>
/// Handlers run concurrently, and two requests of one browser may hold the same session at once: its values are
/// guarded by a lock, so each call is atomic, and enumerating works on a copy taken at the start. A sequence of calls
/// (read, then write) is not atomic: lock on something of your own for that.
/// </para>
/// <para>
/// Unlike Dart's map, the indexer throws <see cref="KeyNotFoundException"/> for a missing key (the
/// <see cref="IDictionary{TKey, TValue}"/> contract); use <see cref="TryGetValue"/> for Dart's <c>session[key]</c>.
/// </para>
/// </remarks>
public sealed class HttpSession : IDictionary<string, object?>
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SessionStore _store;
    private volatile bool _isNew = true;
    private volatile bool _destroyed;
    private volatile Action? _onTimeout;

    internal HttpSession(SessionStore store, string id)
    {
        _store = store;
        Id = id;
    }

    /// <summary>The session's id: 32 hex digits from a cryptographic random source, the value of its cookie. Mirrors Dart's <c>id</c>.</summary>
    public string Id { get; }

    /// <summary>
    /// True while the session is new: from its creation until the headers of the response that created it are sent,
    /// so a handler can tell that the browser has not yet been given the cookie. False once a request has come back
    /// with it. Mirrors Dart's <c>isNew</c>.
    /// </summary>
    public bool IsNew
    {
        get => _isNew;
        internal set => _isNew = value;
    }

    /// <summary>
    /// Runs when the session ends for lack of requests (not after <see cref="Destroy"/>, nor when the server closes):
    /// on a thread-pool thread, after the session has been removed. An exception it throws is logged as a warning
    /// (event 250) and goes no further. Mirrors Dart's <c>onTimeout</c>.
    /// </summary>
    public Action? OnTimeout
    {
        get => _onTimeout;
        set => _onTimeout = value;
    }

    /// <inheritdoc/>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>False: a session's values can be changed, even after it has ended.</summary>
    public bool IsReadOnly => false;

    /// <summary>The keys, copied when asked for.</summary>
    public ICollection<string> Keys
    {
        get
        {
            lock (_gate)
            {
                return [.. _values.Keys];
            }
        }
    }

    /// <summary>The values, copied when asked for.</summary>
    public ICollection<object?> Values
    {
        get
        {
            lock (_gate)
            {
                return [.. _values.Values];
            }
        }
    }

    /// <summary>True once the session has ended: destroyed, timed out, or its server closed.</summary>
    internal bool IsDestroyed => _destroyed;

    /// <summary>The session's place in its store's queue of sessions by last request; guarded by the store's lock.</summary>
    internal LinkedListNode<HttpSession>? Node { get; set; }

    /// <summary>The store clock's timestamp of the session's last request; guarded by the store's lock.</summary>
    internal long LastSeen { get; set; }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">(Get.) The key is not in the session.</exception>
    public object? this[string key]
    {
        get
        {
            lock (_gate)
            {
                return _values[key];
            }
        }
        set
        {
            lock (_gate)
            {
                _values[key] = value;
            }
        }
    }

    /// <summary>
    /// Ends the session: it is forgotten at once, its <see cref="OnTimeout"/> does not run, and a later
    /// <see cref="HttpRequest.Session"/> (in this request too) makes a new one. The browser's cookie is not removed; it
    /// names no session any more. Does nothing if the session has ended already. Mirrors Dart's <c>destroy</c>.
    /// </summary>
    public void Destroy() => _store.Destroy(this);

    /// <inheritdoc/>
    public void Add(string key, object? value)
    {
        lock (_gate)
        {
            _values.Add(key, value);
        }
    }

    /// <inheritdoc/>
    public bool ContainsKey(string key)
    {
        lock (_gate)
        {
            return _values.ContainsKey(key);
        }
    }

    /// <inheritdoc/>
    public bool Remove(string key)
    {
        lock (_gate)
        {
            return _values.Remove(key);
        }
    }

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        lock (_gate)
        {
            return _values.TryGetValue(key, out value);
        }
    }

    /// <inheritdoc/>
    public void Add(KeyValuePair<string, object?> item) => Add(item.Key, item.Value);

    /// <inheritdoc/>
    public void Clear()
    {
        lock (_gate)
        {
            _values.Clear();
        }
    }

    /// <inheritdoc/>
    public bool Contains(KeyValuePair<string, object?> item)
    {
        lock (_gate)
        {
            return ((ICollection<KeyValuePair<string, object?>>)_values).Contains(item);
        }
    }

    /// <inheritdoc/>
    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex)
    {
        lock (_gate)
        {
            ((ICollection<KeyValuePair<string, object?>>)_values).CopyTo(array, arrayIndex);
        }
    }

    /// <inheritdoc/>
    public bool Remove(KeyValuePair<string, object?> item)
    {
        lock (_gate)
        {
            return ((ICollection<KeyValuePair<string, object?>>)_values).Remove(item);
        }
    }

    /// <summary>Enumerates a copy of the values taken now, so other requests may change the session meanwhile.</summary>
    /// <returns>An enumerator over the copy.</returns>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        KeyValuePair<string, object?>[] copy;
        lock (_gate)
        {
            copy = [.. _values];
        }

        return ((IEnumerable<KeyValuePair<string, object?>>)copy).GetEnumerator();
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => $"HttpSession ({(_destroyed ? "ended" : IsNew ? "new" : "live")})"; // never the id: it is a credential

    /// <summary>Marks the session ended; its store has removed it (under its lock).</summary>
    internal void MarkDestroyed() => _destroyed = true;
}
