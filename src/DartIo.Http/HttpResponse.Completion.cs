using DartIo.Http.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DartIo;

/// <content>
/// How a response ends: closed by its handler, taken over by an upgrade, or cut short by its connection; and how those
/// who wait for the end (<see cref="Done"/>, the server's own wait in <c>await foreach</c> mode) are told.
/// </content>
public sealed partial class HttpResponse
{
    /// <summary>The response's completion state; only <see cref="Finish"/> moves it, and only forward.</summary>
    private volatile Completion _completion;

    /// <summary>Null while the response is open to the handler; the task of its close once closed (see <see cref="Completion"/>).</summary>
    private Task? _closing;

    /// <summary>How the response ended: null for a response handed to the connection whole. Written before <see cref="Completion.Finished"/>.</summary>
    private Exception? _failure;

    private TaskCompletionSource? _doneSource;
    private TaskCompletionSource? _respondedSource;
    private bool _watchingAbort;
    private CancellationTokenRegistration _abortRegistration;

    /// <summary>
    /// Where a response is in ending, as every thread sees it: its handler's, Kestrel's, and the one its connection's
    /// abort runs on. The states only move forward: <see cref="Open"/> to <see cref="Finishing"/> to
    /// <see cref="Finished"/>, once, in <see cref="Finish"/>; the first caller decides the outcome, later calls do nothing.
    /// </summary>
    /// <remarks>
    /// <para>What finishes a response (the outcome in brackets):</para>
    /// <list type="bullet">
    /// <item><see cref="CloseAsync"/>, once Kestrel has taken the end of the body (success, or what the ending threw);</item>
    /// <item><see cref="MarkUpgraded"/>: a WebSocket took the connection over (success);</item>
    /// <item><see cref="Abandon"/> (an <see cref="HttpException"/>, "connection closed"): the request's abort token fired
    /// (watched from the moment someone waits, <see cref="WatchAbort"/>), <see cref="CloseAborted"/> found the connection
    /// gone, or the server saw Kestrel's request end with the response still open.</item>
    /// </list>
    /// <para>
    /// Being <em>closed</em> is a second, separate fact, kept by <see cref="_closing"/> and set only on the handler's side
    /// (<see cref="CloseAsync"/>, <see cref="CloseAborted"/>, <see cref="MarkUpgraded"/>): writes then throw and the headers
    /// are fixed. The two differ in both directions. A response can be closed and still <see cref="Open"/> while its close
    /// waits for Kestrel to take the end of the body; and it can be <see cref="Finished"/> yet not closed when its
    /// connection went while the handler still held it: its writes are then dropped, and its close does nothing more
    /// (<see cref="CloseAborted"/> logs only for a response still open).
    /// </para>
    /// <para>
    /// Waiters and the finisher meet without a lock: a waiter publishes its task source, then reads the state; the
    /// finisher publishes <see cref="Finished"/> with a full fence, then reads the sources. Either the waiter sees
    /// <see cref="Finished"/> and completes its own source, or the finisher sees the source and completes it (both may:
    /// completing is TrySet).
    /// </para>
    /// </remarks>
    private enum Completion
    {
        /// <summary>No outcome yet: the response is being written, or its close is being handed to the connection.</summary>
        Open,

        /// <summary>
        /// One caller of <see cref="Finish"/> has claimed the outcome and is recording it; waiters still treat the response
        /// as unfinished and are told by that caller.
        /// </summary>
        Finishing,

        /// <summary>The outcome (<see cref="_failure"/>) is recorded: <see cref="Done"/> and <see cref="WhenResponded"/> complete at once.</summary>
        Finished,
    }

    /// <summary>
    /// Completes when the response has been closed and handed to the connection; fails with
    /// <see cref="HttpException"/> when the connection ended before that. Mirrors Dart's <c>done</c>.
    /// </summary>
    public Task Done
    {
        get
        {
            if (_completion == Completion.Finished)
            {
                return _failure is null ? Task.CompletedTask : Task.FromException(_failure);
            }

            var source = Volatile.Read(ref _doneSource);
            if (source is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                source = Interlocked.CompareExchange(ref _doneSource, created, null) ?? created;
                WatchAbort();
            }

            if (_completion == Completion.Finished)
            {
                Propagate(source);
            }

            return source.Task;
        }
    }

    /// <summary>True once the handler's side has ended the response (closed, aborted or upgraded): writes then throw.</summary>
    internal bool IsClosed => _closing is not null;

    /// <summary>
    /// Ends the response: sends the headers if they were not sent, what is buffered, and the end of the body.
    /// Idempotent. Mirrors Dart's <c>close</c>.
    /// </summary>
    /// <returns>A task that completes when the response has been handed to the connection (as <see cref="Done"/>).</returns>
    public Task CloseAsync()
    {
        if (_closing is { } closing)
        {
            return closing;
        }

        Start();
        if (ConnectionGone)
        {
            return _closing = CloseAborted();
        }

        if (!_flushed && _compressor is null && !_response.HasStarted && _response.Headers.ContentLength is null
            && StatusCode is >= 200 and not 204 and not 304 && !HttpMethods.IsHead(_request.Method))
        {
            // (Not for HEAD: its answer stands for a GET's, whose length the handler did not say; 0 would be a lie.)
            // Everything is still buffered: send it with its length, as Dart does, rather than chunked.
            _response.Headers.ContentLength = _unflushed;
        }

        var ending = !_pendingFlush.IsCompleted || _compressor is not null ? CloseSlowAsync() : _body.CompleteAsync();
        if (ending.IsCompletedSuccessfully)
        {
            Finish(null);
            return _closing = Task.CompletedTask;
        }

        return _closing = AwaitCloseAsync(ending);
    }

    /// <summary>
    /// Ends a response whose connection has gone: the request is aborted rather than completed, so that Kestrel does not
    /// count the missing bytes against the Content-Length as an application error; logged once, at Debug. <see cref="Done"/>
    /// ends with the <see cref="HttpException"/> of a closed connection.
    /// </summary>
    internal Task CloseAborted(string reason = "the connection was aborted")
    {
        _closing ??= Task.CompletedTask;
        EndAborted(reason);
        return Task.CompletedTask;
    }

    /// <summary>
    /// What <see cref="CloseAborted"/> does but for closing: for a response still open, aborts the request, logs once and
    /// fails <see cref="Done"/>. A write that finds the connection gone calls it at once, so that a handler writing in a
    /// loop until <see cref="Done"/> ends stops then, not when Kestrel's abort callback gets a thread; later writes are
    /// still dropped, not refused.
    /// </summary>
    private void EndAborted(string reason)
    {
        if (_completion == Completion.Open)
        {
            // Kestrel skips the Content-Length check of an aborted request; one it aborted itself (a reset stream, a
            // closed connection) needs no second abort.
            if (_request.Features.Get<IHttpRequestLifetimeFeature>() is { RequestAborted.IsCancellationRequested: false } lifetime)
            {
                lifetime.Abort();
            }

            _server.LogResponseAborted(_request, reason);
            Abandon();
        }
    }

    /// <summary>Ends <see cref="Done"/> for a request whose connection went away before the response was closed.</summary>
    internal void Abandon() => Finish(new HttpException(HttpMessages.ConnectionClosed));

    /// <summary>For an upgrade: the response is taken over by the new protocol and counts as closed.</summary>
    internal void MarkUpgraded()
    {
        _closing = Task.CompletedTask;
        Finish(null);
    }

    /// <summary>
    /// For the server's own wait in <c>await foreach</c> mode: completes (never fails) when the response is closed
    /// or abandoned. A close resumes the waiting Kestrel request inline, on the closing thread, which saves a thread
    /// hop per request; an abort resumes it on the thread pool, away from Kestrel's abort path.
    /// </summary>
    internal Task WhenResponded()
    {
        if (_completion == Completion.Finished)
        {
            return Task.CompletedTask;
        }

        var source = new TaskCompletionSource();
        Volatile.Write(ref _respondedSource, source);
        WatchAbort();
        Interlocked.MemoryBarrier(); // either this sees the finish, or the finish sees the source
        if (_completion == Completion.Finished)
        {
            source.TrySetResult();
        }

        return source.Task;
    }

    /// <summary>Ends the body after a flush in flight, and ends the compressing stream first when there is one.</summary>
    private async Task CloseSlowAsync()
    {
        await _pendingFlush.ConfigureAwait(false);
        if (_compressor is { } compressor)
        {
            await _writer!.CompleteAsync().ConfigureAwait(false);
            await compressor.DisposeAsync().ConfigureAwait(false);
        }

        await _body.CompleteAsync().ConfigureAwait(false);
    }

    private async Task AwaitCloseAsync(Task ending)
    {
        try
        {
            await ending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Finish(ex);
            throw;
        }

        Finish(null);
    }

    /// <summary>Once someone waits for the end of this response, tells them if the connection goes first.</summary>
    private void WatchAbort()
    {
        if (!Interlocked.Exchange(ref _watchingAbort, true))
        {
            var aborted = _request.Features.Get<IHttpRequestLifetimeFeature>()?.RequestAborted ?? CancellationToken.None;
            _abortRegistration = aborted.UnsafeRegister(static state => ((HttpResponse)state!).Abandon(), this);
        }
    }

    /// <summary>Moves <see cref="Completion.Open"/> to <see cref="Completion.Finished"/> with this outcome, unless another caller did first.</summary>
    private void Finish(Exception? error)
    {
        if (Interlocked.CompareExchange(ref _completion, Completion.Finishing, Completion.Open) != Completion.Open)
        {
            return;
        }

        _failure = error;
        Interlocked.Exchange(ref _completion, Completion.Finished);
        if (Volatile.Read(ref _deadlineTimer) is { } deadline)
        {
            deadline.Dispose(); // a deadline ends with the response; a late tick finds it finished and does nothing
        }
 // a full fence: either a waiter sees Finished, or this sees its source
        if (Volatile.Read(ref _watchingAbort))
        {
            _abortRegistration.Unregister(); // best effort: a late callback finds the response finished and does nothing
        }

        if (Volatile.Read(ref _doneSource) is { } source)
        {
            Propagate(source);
        }

        if (Volatile.Read(ref _respondedSource) is { } responded)
        {
            if (error is null)
            {
                responded.TrySetResult();
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.TrySetResult(), responded, preferLocal: false);
            }
        }
    }

    private void Propagate(TaskCompletionSource source)
    {
        if (_failure is { } failure)
        {
            source.TrySetException(failure);
        }
        else
        {
            source.TrySetResult();
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new InvalidOperationException(HttpMessages.ResponseClosed);
        }
    }
}
