using System.Runtime.InteropServices;

namespace DartIo.Internal.Listening;

/// <summary>
/// How many accepted connections the whole process may hold open at once, so that accepting never takes the
/// file descriptors the .NET runtime itself needs (SPEC 7): one budget for every listening socket of the process.
/// </summary>
/// <remarks>
/// <para>
/// Why: the runtime does not survive running out of descriptors. Every new thread needs two for a moment (the
/// runtime's platform layer starts each thread suspended on a pipe); when <c>pipe2</c> fails with EMFILE,
/// <c>Thread.Start</c> throws <see cref="OutOfMemoryException"/>. The thread pool starts its workers from the
/// thread that asks for one, and the socket engine's event loop (the ".NET Sockets" thread) asks for one whenever
/// events arrive: the exception reaches its catch-all, which calls <see cref="Environment.FailFast(string)"/>, and
/// the process prints "Out of memory." and aborts (exit 134). Loading an assembly (two descriptors each, held while
/// loaded), formatting an exception's stack trace, reading /proc and OpenSSL's configuration need descriptors too.
/// Backing off on EMFILE in the accept loop cannot help: by then the descriptors are gone. So a connection is
/// accepted only while it can take a place in this budget, and its place is given back when its socket is closed.
/// docs/notes/descriptor-exhaustion.md has the evidence and the measurement.
/// </para>
/// <para>
/// The fast path is one interlocked operation; a waiter for a free place costs one shared task, completed by the
/// next <see cref="Release"/>, so nothing polls or spins.
/// </para>
/// </remarks>
internal sealed class DescriptorBudget
{
    /// <summary>
    /// Descriptors kept for the runtime beyond those open when the budget is made (at the first accept): room for
    /// threads starting (two each, for a moment), assemblies loaded later (Kestrel's and TLS's paths load several
    /// after the first accept, two descriptors each), /proc reads, OpenSSL and a file per request being served.
    /// Measured with <c>dartio serve</c> and <c>dartio echo</c>, plain and TLS, under a limit of 256, flooded three
    /// times with 1000 connections: 32 and 48 spare died (HTTPS), 64 lived every time; this is 1.5 times that
    /// (docs/notes/descriptor-exhaustion.md).
    /// </summary>
    public const int MinimumHeadroom = 96;

    /// <summary>The share of a large limit kept as headroom (one eighth), for applications that open more as they grow.</summary>
    public const int HeadroomDivisor = 8;

    /// <summary>The fewest connections the default budget allows, however tight the limit: a server must accept something.</summary>
    public const int MinimumCapacity = 16;

    private static readonly Lazy<DescriptorBudget> s_process = new(CreateForProcess);

    private long _available;
    private TaskCompletionSource? _released;

    /// <summary>A budget of <paramref name="capacity"/> places.</summary>
    /// <param name="capacity">How many connections may hold a place at once; <see cref="long.MaxValue"/> for no limit.</param>
    public DescriptorBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _available = capacity;
    }

    /// <summary>The budget every listening socket of this process shares, sized by <see cref="DefaultCapacity"/> on first use.</summary>
    public static DescriptorBudget Process => s_process.Value;

    /// <summary>How many places there are.</summary>
    public long Capacity { get; }

    /// <summary>How many places are taken now (a snapshot).</summary>
    public long InUse => Capacity - Volatile.Read(ref _available);

    /// <summary>Takes a place if one is free.</summary>
    /// <returns>True when a place was taken; the caller gives it back with <see cref="Release"/> exactly once.</returns>
    public bool TryAcquire()
    {
        var available = Volatile.Read(ref _available);
        while (available > 0)
        {
            var seen = Interlocked.CompareExchange(ref _available, available - 1, available);
            if (seen == available)
            {
                return true;
            }

            available = seen;
        }

        return false;
    }

    /// <summary>Gives back a place taken by <see cref="TryAcquire"/>, and wakes whoever waits in <see cref="WhenReleasedAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">More places were given back than taken.</exception>
    public void Release()
    {
        if (Interlocked.Increment(ref _available) > Capacity)
        {
            Interlocked.Decrement(ref _available);
            throw new InvalidOperationException("A descriptor budget place was released twice.");
        }

        if (Volatile.Read(ref _released) is not null)
        {
            Interlocked.Exchange(ref _released, null)?.TrySetResult();
        }
    }

    /// <summary>
    /// Completes when a place may be free: at once when one is free now, else at the next <see cref="Release"/>.
    /// Another waiter may take it first, so the caller tries <see cref="TryAcquire"/> again and waits again if it lost.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    public Task WhenReleasedAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var released = Volatile.Read(ref _released);
        if (released is null)
        {
            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            released = Interlocked.CompareExchange(ref _released, fresh, null) ?? fresh; // a full fence before the check below
        }

        if (Volatile.Read(ref _available) > 0)
        {
            Interlocked.Exchange(ref _released, null)?.TrySetResult(); // a release came between the caller's try and now
        }

        return released.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The default number of connections the process may hold open at once:
    /// <c>softLimit - openNow - max(MinimumHeadroom, softLimit / HeadroomDivisor)</c>, at least
    /// <see cref="MinimumCapacity"/>; no limit when the soft limit is unknown or unlimited.
    /// </summary>
    /// <param name="softLimit">RLIMIT_NOFILE's soft limit; negative when unknown or unlimited (Windows).</param>
    /// <param name="openNow">Descriptors the process has open now (its assemblies, standard streams, the runtime's own).</param>
    public static long DefaultCapacity(long softLimit, int openNow)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(openNow);
        if (softLimit < 0)
        {
            return long.MaxValue;
        }

        var headroom = Math.Max(MinimumHeadroom, softLimit / HeadroomDivisor);
        return Math.Max(MinimumCapacity, softLimit - openNow - headroom);
    }

    /// <summary>RLIMIT_NOFILE's soft limit for this process; -1 on Windows, where sockets are handles without such a limit, or when it is unlimited.</summary>
    internal static long ReadSoftLimit()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return -1;
        }

        var resource = OperatingSystem.IsLinux() ? LinuxRlimitNofile : BsdRlimitNofile;
        if (GetRLimit(resource, out var limit) != 0 || limit.Current > long.MaxValue / 2)
        {
            return -1; // RLIM_INFINITY is ~0 on Linux and 2^63-1 on macOS
        }

        return (long)limit.Current;
    }

    /// <summary>How many descriptors the process has open now: the entries of /proc/self/fd (Linux) or /dev/fd; 0 where neither exists.</summary>
    internal static int CountOpenDescriptors()
    {
        foreach (var folder in (ReadOnlySpan<string>)["/proc/self/fd", "/dev/fd"])
        {
            if (Directory.Exists(folder))
            {
                return Math.Max(0, Directory.EnumerateFileSystemEntries(folder).Count() - 1); // less the one the listing opened
            }
        }

        return 0;
    }

    private static DescriptorBudget CreateForProcess() => new(DefaultCapacity(ReadSoftLimit(), CountOpenDescriptors()));

    private const int LinuxRlimitNofile = 7;
    private const int BsdRlimitNofile = 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetRLimit(int resource, out RLimit limit);
}
