namespace DartIo.FunctionalTests.Support;

/// <summary>Every wait in the tests is bounded: a hang fails the test instead of stalling the suite.</summary>
internal static class Wait
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Long);

    public static Task Within(this Task task) => task.WaitAsync(Long);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Long);
}
