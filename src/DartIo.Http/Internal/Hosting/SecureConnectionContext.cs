using System.Buffers;
using System.IO.Pipelines;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// Kestrel's view of a connection whose TLS handshake DartIo's pipeline did (<see cref="SecureServerSocket"/>): the
/// decrypted bytes pumped between the connection's stream and a pair of pipes, as Kestrel's own socket transport pumps
/// a socket's, with the TLS features Kestrel and the request read (ALPN for HTTP/2, the client certificate).
/// </summary>
/// <remarks>
/// As in Kestrel's socket transport, <see cref="ConnectionClosed"/> fires when the receive side ends (the peer closed
/// or reset), <see cref="Abort"/> cuts the connection, and disposal waits for both pumps and closes it. An idle
/// connection holds no buffer: the receive pump waits with a zero-byte read.
/// </remarks>
internal sealed class SecureConnectionContext : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature,
    IConnectionItemsFeature, IConnectionLifetimeFeature, IMemoryPoolFeature, ITlsConnectionFeature,
    ITlsApplicationProtocolFeature, ITlsHandshakeFeature
{
    /// <summary>Kestrel's default bound on what is read ahead of the application (its MaxRequestBufferSize).</summary>
    private const long MaxReadAhead = 1024 * 1024;

    /// <summary>What Kestrel's socket transport lets the application write ahead of the socket.</summary>
    private const long MaxWriteAhead = 64 * 1024;

    private static long s_lastId;

    private readonly SecureSocketConnection _connection;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly FeatureCollection _features = new();
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private volatile Exception? _abortReason;
    private int _disposed;
    private string? _connectionId;
    private IDictionary<object, object?>? _items;

    public SecureConnectionContext(SecureSocketConnection connection, MemoryPool<byte> memoryPool)
    {
        _connection = connection;
        MemoryPool = memoryPool;
        _input = new Pipe(new PipeOptions(memoryPool, PipeScheduler.ThreadPool, PipeScheduler.Inline, MaxReadAhead, MaxReadAhead / 2,
            useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(memoryPool, PipeScheduler.ThreadPool, PipeScheduler.Inline, MaxWriteAhead, MaxWriteAhead / 2,
            useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        LocalEndPoint = connection.Socket.LocalEndPoint;
        RemoteEndPoint = connection.ProxyHeader is null ? connection.Socket.RemoteEndPoint : EndPoints.Remote(connection);
        ClientCertificate = connection.PeerCertificate;
        ApplicationProtocol = connection.SelectedProtocol is { } alpn ? Encoding.ASCII.GetBytes(alpn) : ReadOnlyMemory<byte>.Empty;
        Protocol = connection.TlsProtocol;

        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<ITlsConnectionFeature>(this);
        _features.Set<ITlsApplicationProtocolFeature>(this);
        _features.Set<ITlsHandshakeFeature>(this);
    }

    /// <summary>The DartIo connection under this context.</summary>
    public SecureSocketConnection Connection => _connection;

    public override string ConnectionId
    {
        get => _connectionId ??= "dartio-tls-" + Interlocked.Increment(ref s_lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException();
    }

    public MemoryPool<byte> MemoryPool { get; }

    public X509Certificate2? ClientCertificate { get; set; }

    public ReadOnlyMemory<byte> ApplicationProtocol { get; }

    public SslProtocols Protocol { get; }

#pragma warning disable CS0618, SYSLIB0058 // Obsolete members Kestrel's interface still has; TLS 1.3 makes them meaningless.
    public CipherAlgorithmType CipherAlgorithm => CipherAlgorithmType.None;

    public int CipherStrength => 0;

    public HashAlgorithmType HashAlgorithm => HashAlgorithmType.None;

    public int HashStrength => 0;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    public int KeyExchangeStrength => 0;
#pragma warning restore CS0618, SYSLIB0058

    /// <summary>Starts pumping bytes both ways.</summary>
    public void Start()
    {
        _receiving = ReceiveAsync();
        _sending = SendAsync();
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason = abortReason;
        _output.Reader.CancelPendingRead();
        _connection.Destroy(); // a write or read in progress ends now
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return; // the HTTP server disposes it first, Kestrel again after
        }

        // The application's ends, as Kestrel's transport completes them: the send pump then finishes and closes the
        // connection, which ends the receive pump; the pumps' own ends are theirs alone (a PipeWriter is single-threaded).
        _input.Reader.Complete();
        _output.Writer.Complete();
        await _receiving.ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        _connection.Destroy();
        _closed.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        var stream = _connection.Stream;
        try
        {
            while (true)
            {
                // Wait for data without a buffer, so an idle connection holds none (as Kestrel's transport does).
                await stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var buffer = _input.Writer.GetMemory();
                var read = await stream.ReadAsync(buffer).ConfigureAwait(false);
                if (read == 0)
                {
                    break; // the peer's close_notify, or its end of the connection
                }

                _input.Writer.Advance(read);
                var flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            error = _abortReason ?? new ConnectionResetException(ex.Message, ex);
        }
        finally
        {
            await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
            FireClosed();
        }
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        var stream = _connection.Stream;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // aborted
                }

                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await stream.WriteAsync(segment).ConfigureAwait(false);
                }

                _output.Reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            error = ex;
        }
        finally
        {
            await _output.Reader.CompleteAsync(error).ConfigureAwait(false);
            await ShutdownAsync(graceful: error is null && _abortReason is null).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the connection once the application has written its last byte: close_notify and FIN, then the socket.</summary>
    private async Task ShutdownAsync(bool graceful)
    {
        if (graceful)
        {
            try
            {
                await _connection.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NetworkException)
            {
                // The peer has gone already.
            }
        }

        _connection.Destroy();
        FireClosed();
    }

    private void FireClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed: nobody listens any more.
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
