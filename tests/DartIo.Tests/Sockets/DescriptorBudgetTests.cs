using DartIo.Internal.Listening;

namespace DartIo.Tests.Sockets;

/// <summary>The process-wide budget of accepted connections that keeps descriptors in reserve for the runtime (SPEC 7).</summary>
public sealed class DescriptorBudgetTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(256, 90, 256 - 90 - DescriptorBudget.MinimumHeadroom)]   // a tight limit: the fixed headroom
    [InlineData(1024, 90, 1024 - 90 - 128)]                               // the usual soft limit: an eighth
    [InlineData(1048576, 150, 1048576 - 150 - 131072)]                    // systemd's default hard limit
    [InlineData(150, 90, DescriptorBudget.MinimumCapacity)]               // tighter than the runtime needs: still some
    public void DefaultCapacity_Limit_IsLimitLessOpenLessHeadroom(long softLimit, int openNow, long expected)
    {
        Assert.Equal(expected, DescriptorBudget.DefaultCapacity(softLimit, openNow));
    }

    [Fact]
    public void DefaultCapacity_UnknownOrUnlimited_NoLimit()
    {
        Assert.Equal(long.MaxValue, DescriptorBudget.DefaultCapacity(-1, 50));
    }

    [Fact]
    public void ReadSoftLimit_OnLinux_IsTheLimitInProcSelfLimits()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Equal(-1, DescriptorBudget.ReadSoftLimit()); // no descriptor limit: the budget is unlimited
            return;
        }

        var limit = DescriptorBudget.ReadSoftLimit();
        Assert.True(limit == -1 || limit >= DescriptorBudget.CountOpenDescriptors(), $"soft limit {limit}");
        if (File.Exists("/proc/self/limits"))
        {
            var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
            Assert.Equal(soft == "unlimited" ? "-1" : soft, limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void TryAcquire_UpToCapacity_ThenRefusesUntilReleased()
    {
        var budget = new DescriptorBudget(3);

        Assert.True(budget.TryAcquire());
        Assert.True(budget.TryAcquire());
        Assert.True(budget.TryAcquire());
        Assert.False(budget.TryAcquire());
        Assert.Equal(3, budget.InUse);

        budget.Release();
        Assert.Equal(2, budget.InUse);
        Assert.True(budget.TryAcquire());
        Assert.False(budget.TryAcquire());
    }

    [Fact]
    public void Release_MoreThanAcquired_Throws()
    {
        var budget = new DescriptorBudget(1);
        Assert.True(budget.TryAcquire());
        budget.Release();

        Assert.Throws<InvalidOperationException>(budget.Release);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task WhenReleasedAsync_Full_CompletesOnlyAtTheNextRelease()
    {
        var budget = new DescriptorBudget(1);
        Assert.True(budget.TryAcquire());

        var first = budget.WhenReleasedAsync();
        var second = budget.WhenReleasedAsync();
        Assert.False(first.IsCompleted);

        budget.Release();
        await Task.WhenAll(first, second).WaitAsync(s_timeout);
        Assert.True(budget.TryAcquire());

        var next = budget.WhenReleasedAsync();
        Assert.False(next.IsCompleted); // a completed wait is not reused: the budget is full again
        budget.Release();
        await next.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WhenReleasedAsync_PlaceFree_CompletesAtOnce()
    {
        var budget = new DescriptorBudget(2);
        Assert.True(budget.TryAcquire());

        await budget.WhenReleasedAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WhenReleasedAsync_Cancelled_ThrowsAndAReleaseStillWakesTheNextWaiter()
    {
        var budget = new DescriptorBudget(1);
        Assert.True(budget.TryAcquire());
        using var cancel = new CancellationTokenSource();

        var cancelled = budget.WhenReleasedAsync(cancel.Token);
        var other = budget.WhenReleasedAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(s_timeout));
        Assert.False(other.IsCompleted);
        budget.Release();
        await other.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task TryAcquireAndRelease_ManyThreadsWithWaiters_NeverOverCapacityAndNoWakeupLost()
    {
        const int capacity = 4;
        const int workers = 8;
        const int rounds = 2000;
        var budget = new DescriptorBudget(capacity);
        var maxSeen = 0L;

        async Task WorkAsync()
        {
            for (var i = 0; i < rounds; i++)
            {
                while (!budget.TryAcquire())
                {
                    await budget.WhenReleasedAsync().WaitAsync(s_timeout);
                }

                var inUse = budget.InUse;
                long seen;
                do
                {
                    seen = Volatile.Read(ref maxSeen);
                }
                while (inUse > seen && Interlocked.CompareExchange(ref maxSeen, inUse, seen) != seen);

                budget.Release();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync)))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.InRange(maxSeen, 1, capacity);
        Assert.Equal(0, budget.InUse);
    }
}
