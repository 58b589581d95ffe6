using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;
using Microsoft.Extensions.Logging;

namespace DartIo.Tests;

/// <summary>
/// DartIoLogging.UseLoggerFactory: a factory for the servers and databases made in one flow (an application host's),
/// with the process-wide LoggerFactory still the fallback everywhere else. None of these tests sets the process-wide
/// factory, so they run beside the others.
/// </summary>
public sealed class DartIoLoggingTests : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void CurrentLoggerFactory_NoScope_IsTheProcessWideFactory()
    {
        Assert.Same(DartIoLogging.LoggerFactory, DartIoLogging.CurrentLoggerFactory);
    }

    [Fact]
    public void UseLoggerFactory_InsideAndAfterTheScope_CurrentIsTheScopesThenTheFallbackAgain()
    {
        var scoped = new CapturingLoggerFactory();

        using (DartIoLogging.UseLoggerFactory(scoped))
        {
            Assert.Same(scoped, DartIoLogging.CurrentLoggerFactory);
        }

        Assert.Same(DartIoLogging.LoggerFactory, DartIoLogging.CurrentLoggerFactory);
    }

    [Fact]
    public void UseLoggerFactory_Nested_InnerWinsAndDisposingItRestoresTheOuter()
    {
        var outer = new CapturingLoggerFactory();
        var inner = new CapturingLoggerFactory();

        using var outerScope = DartIoLogging.UseLoggerFactory(outer);
        var innerScope = DartIoLogging.UseLoggerFactory(inner);
        Assert.Same(inner, DartIoLogging.CurrentLoggerFactory);

        innerScope.Dispose();
        innerScope.Dispose(); // a second dispose changes nothing

        Assert.Same(outer, DartIoLogging.CurrentLoggerFactory);
    }

    [Fact]
    public async Task UseLoggerFactory_ConcurrentFlows_EachSeesOnlyItsOwn()
    {
        var first = new CapturingLoggerFactory();
        var second = new CapturingLoggerFactory();
        var bothInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;

        async Task<ILoggerFactory> InScope(ILoggerFactory factory)
        {
            await Task.Yield();
            using (DartIoLogging.UseLoggerFactory(factory))
            {
                if (Interlocked.Increment(ref arrived) == 2)
                {
                    bothInside.SetResult();
                }

                await bothInside.Task.WaitAsync(TimeSpan.FromSeconds(10));
                return DartIoLogging.CurrentLoggerFactory;
            }
        }

        var seen = await Task.WhenAll(InScope(first), InScope(second));

        Assert.Same(first, seen[0]);
        Assert.Same(second, seen[1]);
        Assert.Same(DartIoLogging.LoggerFactory, DartIoLogging.CurrentLoggerFactory);
    }

    [Fact]
    public void UseLoggerFactory_DatabaseOpenedInTheScope_LogsThroughTheScopesFactoryAfterTheScopeEnds()
    {
        var scoped = new CapturingLoggerFactory();
        BadCertificateEntries.Write(_folder, "random-bytes", "bad");
        CertificateDatabase database;
        using (DartIoLogging.UseLoggerFactory(scoped))
        {
            database = CertificateDatabase.Open(_folder.Path, BadCertificateEntries.DatabasePassword);
        }

        database.List(); // outside the scope: the database took its logger when it was opened

        var warning = Assert.Single(scoped.Entries, e => e.Event.Id == 104);
        Assert.Contains(_folder.Path, warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void UseLoggerFactory_Null_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("loggerFactory", () => DartIoLogging.UseLoggerFactory(null!));
    }
}
