using DartIo.Internal.Listening;

namespace DartIo.FunctionalTests.Sockets;

/// <summary>
/// Tests that count the process's listening sockets (<see cref="ListenerRegistry"/>): they run alone, or another
/// class's bind in parallel would change the count under them (seen in CI).
/// </summary>
[Collection(ListenerRegistryCollection.Name)]
public sealed class ListenerRegistryTests
{
    [Fact]
    public async Task BindAsync_Cancelled_BindsNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var before = ListenerRegistry.Count;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ServerSocket.BindAsync("localhost", 0, cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ServerSocket.BindAsync(InternetAddress.LoopbackIPv4, 0, cancellationToken: cancelled.Token));

        Assert.True(ListenerRegistry.Count <= before);
    }
}

/// <summary>Tests that read the process-wide listener registry: not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ListenerRegistryCollection
{
    public const string Name = "Listener registry";
}
