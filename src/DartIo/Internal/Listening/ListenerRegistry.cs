using Microsoft.Extensions.Logging;

namespace DartIo.Internal.Listening;

/// <summary>
/// The process-wide table of OS listening sockets, one per (address, port), that makes Dart's <c>shared</c>
/// binds work: a bind that finds its (address, port) here joins the existing socket as one more sharer
/// instead of asking the OS for another.
/// </summary>
/// <remarks>
/// One lock guards the table and every sharer count that decides whether an entry lives, so an entry is
/// in the table exactly while it has at least one sharer. Binds with port 0 never join: each gets a fresh
/// ephemeral port, and is then entered under that port so that later binds can share it.
/// </remarks>
internal static class ListenerRegistry
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<ListenerKey, ListeningSocket> s_listeners = [];

    /// <summary>Binds, or joins an existing shared socket, and returns the new sharer.</summary>
    /// <exception cref="NetworkException">The OS refused the bind, or the shared / v6Only flags conflict.</exception>
    public static ListeningSocket.Sharer Bind(InternetAddress address, int port, int backlog, bool v6Only, bool shared, ILogger logger)
    {
        var joinable = port != 0 || address.Type == InternetAddressType.Unix;
        lock (s_gate)
        {
            if (joinable && s_listeners.TryGetValue(ListenerKey.For(address, port), out var existing))
            {
                if (!existing.Shared || !shared)
                {
                    throw new NetworkException(Messages.FailedToCreateServerSocket, new OSError(Messages.SharedFlagMismatch), address, port);
                }

                if (existing.V6Only != v6Only)
                {
                    throw new NetworkException(Messages.FailedToCreateServerSocket, new OSError(Messages.V6OnlyFlagMismatch), address, port);
                }

                return existing.AddSharer(address);
            }

            // Binding under the lock is a few system calls; it keeps two racing shared binds from both missing the table.
            var listener = ListeningSocket.Bind(address, port, backlog, v6Only, shared, logger);
            s_listeners.Add(listener.Key, listener);
            return listener.AddSharer(address);
        }
    }

    /// <summary>Detaches a sharer; when it was the last one, the entry leaves the table and the caller must close the socket.</summary>
    /// <returns>True when the socket has no sharers left.</returns>
    public static bool Release(ListeningSocket.Sharer sharer)
    {
        lock (s_gate)
        {
            var listener = sharer.Listener;
            if (!listener.RemoveSharer(sharer))
            {
                return false;
            }

            s_listeners.Remove(listener.Key);
            return true;
        }
    }

    /// <summary>How many OS listening sockets the process holds (for tests).</summary>
    internal static int Count
    {
        get
        {
            lock (s_gate)
            {
                return s_listeners.Count;
            }
        }
    }
}
