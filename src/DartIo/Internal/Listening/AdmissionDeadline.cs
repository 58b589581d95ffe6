namespace DartIo.Internal.Listening;

/// <summary>
/// How long one connection may spend in the admission stages (the PROXY header and the TLS handshake together:
/// 10 s by default), joined with the server's close; disposed when the stages end.
/// </summary>
internal sealed class AdmissionDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _stopping;

    public AdmissionDeadline(TimeSpan timeout, TimeProvider time, CancellationToken stopping)
    {
        _timeout = new CancellationTokenSource(timeout, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token, stopping);
        _stopping = stopping;
    }

    /// <summary>Cancelled when the time is up or the server closes.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>Why the stages were cut short, for the log; null while they were not.</summary>
    public string? Reason => _timeout.IsCancellationRequested ? Messages.HandshakeTimedOut
        : _stopping.IsCancellationRequested ? Messages.ServerClosed : null;

    /// <summary>The same as <see cref="Reason"/>, as a <c>DartIo</c> metric's <c>error.type</c>; null while the stages were not cut short.</summary>
    public string? ErrorType => _timeout.IsCancellationRequested ? DartIoMetrics.Rejections.Timeout
        : _stopping.IsCancellationRequested ? DartIoMetrics.Rejections.ServerClosed : null;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
