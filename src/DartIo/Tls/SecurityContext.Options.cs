using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DartIo.Internal;
using DartIo.Internal.Tls;

namespace DartIo;

/// <content>The SslStream options of one handshake, made from the context's state at that moment.</content>
public sealed partial class SecurityContext
{
    /// <summary>
    /// The cipher suites every DartIo server offers (SPEC 10, docs/tls.md): TLS 1.3's, and on TLS 1.2 only ECDHE key
    /// exchange with an AEAD cipher (AES-GCM, ChaCha20-Poly1305), for RSA and ECDSA certificates alike; no CBC, no RSA key
    /// exchange, no DHE. Null where .NET cannot set a policy (Windows): the operating system's defaults apply there.
    /// </summary>
    private static readonly CipherSuitesPolicy? s_serverCipherSuites =
        OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
            ? new CipherSuitesPolicy(
            [
                TlsCipherSuite.TLS_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_AES_256_GCM_SHA384,
                TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            ])
            : null;

    /// <summary>TLS 1.2 and later, or TLS 1.3 only: nothing older is ever enabled.</summary>
    internal SslProtocols EnabledProtocols => _minimumVersion == TlsProtocolVersion.Tls13
        ? SslProtocols.Tls13
        : SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// The certificate a server presents now (a database-backed context follows renewals on disk).
    /// </summary>
    /// <exception cref="CertificateException">The context has no complete identity: no certificate, or no matching private key.</exception>
    internal CertificateMaterial ServerIdentity
    {
        get
        {
            CertificateSource? identity;
            lock (_gate)
            {
                identity = _identity;
                if (identity is null)
                {
                    throw new CertificateException(_chain is null ? Messages.NoServerCertificate
                        : _key is null ? Messages.CertificateWithoutKey(_chainSource!)
                        : Messages.KeyDoesNotMatch(_keySource!, _chainSource!));
                }
            }

            return identity.Current;
        }
    }

    /// <summary>
    /// Fresh options for one server handshake, reflecting the context now: the current certificate (its
    /// <see cref="SslStreamCertificateContext"/> is built once per certificate and shared), the TLS versions, the cipher
    /// policy, ALPN and client-certificate verification against the trusted certificates where the context has some.
    /// Cheap enough for every handshake.
    /// </summary>
    /// <param name="requestClientCertificate">Ask the client for a certificate; a client without one is still accepted.</param>
    /// <param name="requireClientCertificate">Ask for a certificate and fail the handshake without one (implies request).</param>
    /// <param name="supportedProtocols">The ALPN list, most preferred first; null uses the context's server list.</param>
    /// <returns>Options for <see cref="SslStream.AuthenticateAsServerAsync(SslServerAuthenticationOptions, CancellationToken)"/>.</returns>
    /// <exception cref="CertificateException">The context has no complete identity.</exception>
    /// <exception cref="ArgumentException">A name in <paramref name="supportedProtocols"/> is empty or longer than 255 bytes.</exception>
    internal SslServerAuthenticationOptions CreateServerOptions(bool requestClientCertificate, bool requireClientCertificate,
        IReadOnlyList<string>? supportedProtocols) =>
        CreateServerOptions(requestClientCertificate, requireClientCertificate, supportedProtocols, out _);

    /// <inheritdoc cref="CreateServerOptions(bool, bool, IReadOnlyList{string}?)"/>
    /// <param name="requestClientCertificate">Ask the client for a certificate.</param>
    /// <param name="requireClientCertificate">Fail the handshake without a client certificate.</param>
    /// <param name="supportedProtocols">The ALPN list.</param>
    /// <param name="verification">Keeps why the client's certificate was refused, for the log; null when none is asked for.</param>
    internal SslServerAuthenticationOptions CreateServerOptions(bool requestClientCertificate, bool requireClientCertificate,
        IReadOnlyList<string>? supportedProtocols, out PeerVerification? verification)
    {
        verification = null;
        var identity = ServerIdentity;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = identity.Context,
            EnabledSslProtocols = EnabledProtocols,
            ApplicationProtocols = AlpnProtocols.Convert(supportedProtocols, nameof(supportedProtocols)) ?? _serverProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            CipherSuitesPolicy = s_serverCipherSuites,
        };

        if (requestClientCertificate || requireClientCertificate)
        {
            var check = verification = new PeerVerification(_trusted, _withTrustedRoots);
            options.ClientCertificateRequired = true;
            options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                check.VerifyClient(certificate, chain, errors, requireClientCertificate);
        }

        return options;
    }

    /// <summary>
    /// Fresh options for one client handshake: the server must chain to the trusted certificates (or the system's
    /// roots with <c>withTrustedRoots</c>) and match <paramref name="targetHost"/>, else
    /// <paramref name="onBadCertificate"/> decides; the context's certificate, if any, is the client certificate.
    /// </summary>
    /// <param name="targetHost">The host name (sent as SNI, matched against the certificate) or numeric address.</param>
    /// <param name="onBadCertificate">Called with a certificate that fails verification; true accepts it. Null refuses it.</param>
    /// <param name="supportedProtocols">The ALPN list, most preferred first; null uses the context's client list.</param>
    /// <returns>Options for <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/>.</returns>
    /// <exception cref="ArgumentException">A name in <paramref name="supportedProtocols"/> is empty or longer than 255 bytes.</exception>
    internal SslClientAuthenticationOptions CreateClientOptions(string targetHost, Func<X509Certificate2, bool>? onBadCertificate,
        IReadOnlyList<string>? supportedProtocols) =>
        CreateClientOptions(targetHost, onBadCertificate, supportedProtocols, out _);

    /// <inheritdoc cref="CreateClientOptions(string, Func{X509Certificate2, bool}?, IReadOnlyList{string}?)"/>
    /// <param name="targetHost">The host name or numeric address.</param>
    /// <param name="onBadCertificate">Called with a certificate that fails verification.</param>
    /// <param name="supportedProtocols">The ALPN list.</param>
    /// <param name="verification">Keeps why the server's certificate was refused, for the error text.</param>
    internal SslClientAuthenticationOptions CreateClientOptions(string targetHost, Func<X509Certificate2, bool>? onBadCertificate,
        IReadOnlyList<string>? supportedProtocols, out PeerVerification verification)
    {
        CertificateSource? identity;
        lock (_gate)
        {
            identity = _identity;
        }

        var check = verification = new PeerVerification(_trusted, _withTrustedRoots);
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = EnabledProtocols,
            ApplicationProtocols = AlpnProtocols.Convert(supportedProtocols, nameof(supportedProtocols)) ?? _clientProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            ClientCertificateContext = identity?.Current.Context,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                check.VerifyServer(certificate, chain, errors, onBadCertificate),
        };
    }
}
