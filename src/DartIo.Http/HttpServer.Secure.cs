using System.Runtime.CompilerServices;
using DartIo.Http.Internal.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DartIo;

/// <content>HTTPS: a <see cref="SecureServerSocket"/> does the handshakes (DartIo's one TLS policy); Kestrel serves the decrypted connections.</content>
public sealed partial class HttpServer
{
    /// <summary>What the server offers in ALPN: HTTP/2 first, then HTTP/1.1.</summary>
    private static readonly string[] s_alpn = ["h2", "http/1.1"];

    /// <summary>
    /// Binds an HTTPS server to an address given as text, which is looked up (the first result is used), with the
    /// identity of a <see cref="SecurityContext"/>. Mirrors Dart's <c>HttpServer.bindSecure</c>.
    /// </summary>
    /// <remarks>
    /// When the task completes the server is bound and listening; it accepts no connection until <see cref="Listen"/>
    /// is called or it is enumerated. HTTP/2 is used when the client offers it through ALPN, else HTTP/1.1. Each
    /// handshake takes the context's certificate at that moment (a renewed certificate is used without a rebind).
    /// A failed handshake drops that connection only: it is logged (at Debug) and is no error of the server.
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">The port, 0-65535; 0 lets the OS choose an ephemeral port.</param>
    /// <param name="context">The server's certificate and key, and the certificates trusted to issue client certificates.</param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum.</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</param>
    /// <param name="requestClientCertificate">
    /// True to ask clients for a certificate (<see cref="HttpRequest.Certificate"/>); clients without one are still
    /// served. A certificate is verified against the context's trusted certificates where it has some.
    /// </param>
    /// <param name="shared">True to let later shared binds of this process on the same address, port and <paramref name="v6Only"/> share the socket.</param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="context"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="CertificateException">(From the task.) The context has no certificate with a matching private key; nothing is bound.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup or the bind failed, or the flags conflict with a shared bind.</exception>
    public static Task<HttpServer> BindSecureAsync(string address, int port, SecurityContext context, int backlog = 0,
        bool v6Only = false, bool requestClientCertificate = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return BindSecureCoreAsync(SecureServerSocket.BindAsync(address, port, context, backlog, v6Only, requestClientCertificate,
            supportedProtocols: s_alpn, shared: shared, cancellationToken: cancellationToken)); // validates first
    }

    /// <summary>Binds an HTTPS server to an address, with the identity of a <see cref="SecurityContext"/>. Mirrors Dart's <c>HttpServer.bindSecure</c>.</summary>
    /// <inheritdoc cref="BindSecureAsync(string, int, SecurityContext, int, bool, bool, bool, CancellationToken)"/>
    public static Task<HttpServer> BindSecureAsync(InternetAddress address, int port, SecurityContext context, int backlog = 0,
        bool v6Only = false, bool requestClientCertificate = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return BindSecureCoreAsync(SecureServerSocket.BindAsync(address, port, context, backlog, v6Only, requestClientCertificate,
            supportedProtocols: s_alpn, shared: shared, cancellationToken: cancellationToken)); // validates first
    }

    /// <summary>
    /// Binds an HTTPS server to an address given as text, serving the certificate of that nickname or distinguished
    /// name in <see cref="CertificateDatabase.Default"/>. Mirrors Dart 1.x's <c>HttpServer.bindSecure(address, port, certificateName: …)</c>.
    /// </summary>
    /// <remarks>
    /// The certificate is looked up before anything is bound: a bad name fails the bind and binds nothing. A renewed
    /// entry on disk is used by new handshakes without a rebind. Client certificates, when requested, are not verified
    /// (the database holds no trusted certificates).
    /// </remarks>
    /// <param name="address">A host name (for example <c>localhost</c>) or numeric address text.</param>
    /// <param name="port">The port, 0-65535; 0 lets the OS choose an ephemeral port.</param>
    /// <param name="certificateName">The certificate's nickname in the database, or its subject's distinguished name (it contains <c>CN=</c>).</param>
    /// <param name="backlog">The OS listen backlog; 0 (the default) means the system's maximum.</param>
    /// <param name="v6Only">For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</param>
    /// <param name="requestClientCertificate">True to ask clients for a certificate; clients without one are still served.</param>
    /// <param name="shared">True to let later shared binds of this process on the same address, port and <paramref name="v6Only"/> share the socket.</param>
    /// <param name="cancellationToken">Cancels the bind; a cancelled bind leaves nothing bound.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="certificateName"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0-65535 or <paramref name="backlog"/> is negative.</exception>
    /// <exception cref="CertificateException">(From the task.) The certificate is not found, has no private key or cannot be read. Nothing is bound.</exception>
    /// <exception cref="NetworkException">(From the task.) The lookup or the bind failed, or the flags conflict with a shared bind.</exception>
    public static Task<HttpServer> BindSecureAsync(string address, int port, string certificateName, int backlog = 0,
        bool v6Only = false, bool requestClientCertificate = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificateName);
        return BindSecureCoreAsync(SecureServerSocket.BindAsync(address, port, certificateName, backlog, v6Only, requestClientCertificate,
            supportedProtocols: s_alpn, shared: shared, cancellationToken: cancellationToken)); // validates first
    }

    /// <summary>
    /// Binds an HTTPS server to an address, serving the certificate of that nickname or distinguished name in
    /// <see cref="CertificateDatabase.Default"/>. Mirrors Dart 1.x's <c>HttpServer.bindSecure(address, port, certificateName: …)</c>.
    /// </summary>
    /// <inheritdoc cref="BindSecureAsync(string, int, string, int, bool, bool, bool, CancellationToken)"/>
    public static Task<HttpServer> BindSecureAsync(InternetAddress address, int port, string certificateName, int backlog = 0,
        bool v6Only = false, bool requestClientCertificate = false, bool shared = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificateName);
        return BindSecureCoreAsync(SecureServerSocket.BindAsync(address, port, certificateName, backlog, v6Only, requestClientCertificate,
            supportedProtocols: s_alpn, shared: shared, cancellationToken: cancellationToken)); // validates first
    }

    private static async Task<HttpServer> BindSecureCoreAsync(Task<SecureServerSocket> binding)
    {
        var socket = await binding.ConfigureAwait(false);
        return await StartAsync(ConnectionSource.Secure(socket)).ConfigureAwait(false);
    }

    /// <summary>
    /// HTTP/1.1 and HTTP/2 by ALPN on connections whose handshake the <see cref="SecureServerSocket"/> did. Kestrel
    /// enables HTTP/2 only on endpoints it believes secure (its <c>IsTls</c>, set by its own <c>UseHttps</c>); without
    /// that flag a later Kestrel serves HTTP/1.1 only, which the HTTP/2 tests would show.
    /// </summary>
    private static void UseOwnTls(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        try
        {
            SetIsTls(listen, true);
        }
        catch (MissingMethodException)
        {
            // Not this Kestrel: HTTP/1.1 only.
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_IsTls")]
    private static extern void SetIsTls(ListenOptions options, bool value);
}
