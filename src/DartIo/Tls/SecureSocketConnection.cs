using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DartIo.Internal;
using DartIo.Internal.Listening;
using DartIo.Internal.Tls;

namespace DartIo;

/// <summary>
/// A TLS connection: accepted by a <see cref="SecureServerSocket"/> or opened with
/// <see cref="ConnectAsync(string, int, SecurityContext?, Func{X509Certificate2, bool}?, IReadOnlyList{string}?, TimeSpan?, CancellationToken)"/>.
/// Mirrors Dart's <c>SecureSocket</c>.
/// </summary>
/// <remarks>
/// <see cref="SocketConnection.Stream"/> carries the decrypted bytes. <see cref="SocketConnection.CloseAsync"/> sends
/// TLS close_notify, then closes the sending side; a read returns end-of-stream when the peer's close_notify (or
/// its end of the connection) arrives.
/// </remarks>
public class SecureSocketConnection : SocketConnection
{
    private readonly SslStream _ssl;

    internal SecureSocketConnection(ConnectionStream transport, SslStream ssl, AcceptedConnection? accepted = null)
        : base(transport, new SecureStream(ssl, transport), accepted)
    {
        _ssl = ssl;
        PeerCertificate = ssl.RemoteCertificate is { } certificate ? PeerVerification.AsCertificate2(certificate) : null;
        SelectedProtocol = AlpnProtocols.Name(ssl.NegotiatedApplicationProtocol);

        // Destroy, or both directions closing, releases the socket; the TLS state goes with it.
        _ = transport.Done.ContinueWith(static (_, state) => ((SslStream)state!).Dispose(), ssl, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The peer's certificate: on a server, the client's (null when it sent none); on a client, the server's.
    /// Mirrors Dart's <c>SecureSocket.peerCertificate</c>.
    /// </summary>
    public X509Certificate2? PeerCertificate { get; }

    /// <summary>
    /// The application protocol agreed through ALPN, or null when none was. Mirrors Dart's <c>SecureSocket.selectedProtocol</c>.
    /// </summary>
    public string? SelectedProtocol { get; }

    /// <summary>The TLS version agreed in the handshake (for example <see cref="SslProtocols.Tls13"/>).</summary>
    public SslProtocols TlsProtocol => _ssl.SslProtocol;

    /// <summary>
    /// Opens a TLS connection to a host name or numeric address. Mirrors Dart's <c>SecureSocket.connect</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The task completes when the connection is established and the handshake done. A host name is looked up and each
    /// result tried in turn, as <see cref="SocketConnection.ConnectAsync(string, int, InternetAddress?, int, TimeSpan?, CancellationToken)"/> does;
    /// the name is sent as SNI and must match the server's certificate.
    /// </para>
    /// <para>
    /// The server's certificate must chain to the context's trusted certificates (or the system's roots if the context
    /// was made with <c>withTrustedRoots</c>). A certificate that fails is passed to <paramref name="onBadCertificate"/>;
    /// true accepts it.
    /// </para>
    /// </remarks>
    /// <param name="host">A host name or numeric address text.</param>
    /// <param name="port">The server's port, 0-65535.</param>
    /// <param name="context">
    /// The trust, ALPN list, minimum TLS version and (if it has one) the client certificate; null uses
    /// <see cref="SecurityContext.DefaultContext"/>, which trusts the system's roots.
    /// </param>
    /// <param name="onBadCertificate">Decides about a server certificate that fails verification; null refuses it.</param>
    /// <param name="supportedProtocols">The ALPN protocols to offer, most preferred first; null uses the context's client list.</param>
    /// <param name="timeout">How long the connect and the handshake together may take; null waits as long as the OS does.</param>
    /// <param name="cancellationToken">Cancels the connect and the handshake.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="timeout"/> is not positive.</exception>
    /// <exception cref="ArgumentException">A name in <paramref name="supportedProtocols"/> is empty or longer than 255 bytes of UTF-8.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup or the connect failed.</exception>
    /// <exception cref="HandshakeException">(From the task.) The handshake failed or timed out, or the server's certificate was refused; the reason is the <see cref="TlsException.OSError"/>.</exception>
    public static Task<SecureSocketConnection> ConnectAsync(string host, int port, SecurityContext? context = null,
        Func<X509Certificate2, bool>? onBadCertificate = null, IReadOnlyList<string>? supportedProtocols = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ConnectArguments.Validate(port, 0, timeout);
        AlpnProtocols.Convert(supportedProtocols, nameof(supportedProtocols));
        return ConnectCoreAsync(host, null, port, context ?? SecurityContext.DefaultContext, onBadCertificate,
            supportedProtocols?.ToArray(), timeout, cancellationToken);
    }

    /// <summary>Opens a TLS connection to an address. Mirrors Dart's <c>SecureSocket.connect</c> with an <c>InternetAddress</c>.</summary>
    /// <remarks>The address's <see cref="InternetAddress.Host"/> is the name the certificate must match.</remarks>
    /// <inheritdoc cref="ConnectAsync(string, int, SecurityContext?, Func{X509Certificate2, bool}?, IReadOnlyList{string}?, TimeSpan?, CancellationToken)"/>
    public static Task<SecureSocketConnection> ConnectAsync(InternetAddress host, int port, SecurityContext? context = null,
        Func<X509Certificate2, bool>? onBadCertificate = null, IReadOnlyList<string>? supportedProtocols = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ConnectArguments.Validate(port, 0, timeout);
        AlpnProtocols.Convert(supportedProtocols, nameof(supportedProtocols));
        return ConnectCoreAsync(host.Host, host, port, context ?? SecurityContext.DefaultContext, onBadCertificate,
            supportedProtocols?.ToArray(), timeout, cancellationToken);
    }

    private static async Task<SecureSocketConnection> ConnectCoreAsync(string host, InternetAddress? address, int port,
        SecurityContext context, Func<X509Certificate2, bool>? onBadCertificate, IReadOnlyList<string>? supportedProtocols,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var socket = await ConnectSocketAsync(host, address, port, null, 0, timeout, cancellationToken).ConfigureAwait(false);
        var transport = new ConnectionStream(socket);
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        using var timer = timeout is { } limit && limit != Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(1, (limit - Stopwatch.GetElapsedTime(started)).Ticks)))
            : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer?.Token ?? CancellationToken.None);
        PeerVerification? verification = null;
        try
        {
            var options = context.CreateClientOptions(host, onBadCertificate, supportedProtocols, out verification);
            await ssl.AuthenticateAsClientAsync(options, linked.Token).ConfigureAwait(false);
            return new SecureSocketConnection(transport, ssl);
        }
        catch (OperationCanceledException) when (timer is not null && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new HandshakeException(Messages.HandshakeErrorInClient(host, port), new OSError(Messages.HandshakeTimedOut));
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new HandshakeException(Messages.HandshakeErrorInClient(host, port), new OSError(TlsErrors.Reason(ex, verification)), ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends TLS close_notify, then flushes and closes the sending side.</summary>
    private protected override async Task CloseCoreAsync()
    {
        try
        {
            await _ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is gone or the connection was destroyed: there is nobody left to tell.
        }

        await base.CloseCoreAsync().ConfigureAwait(false);
    }
}
