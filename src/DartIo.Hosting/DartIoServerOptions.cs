namespace DartIo;

/// <summary>
/// What a hosted DartIo server binds to and how it stops: the settings shared by
/// <see cref="DartIoHttpServerOptions"/> and <see cref="DartIoServerSocketOptions"/>, bound from the configuration
/// section <c>DartIo:NAME</c> (NAME: the server's name) and validated when the host starts.
/// </summary>
/// <remarks>
/// Every setting mirrors a parameter of Dart's <c>bind</c> (<c>address</c>, <c>port</c>, <c>backlog</c>,
/// <c>v6Only</c>, <c>shared</c>) or a property of the bound server; see
/// <see cref="ServerSocket.BindAsync(string, int, int, bool, bool, CancellationToken)"/> for their meaning.
/// </remarks>
public abstract class DartIoServerOptions
{
    /// <summary>The default <see cref="ShutdownTimeout"/>: 30 seconds, the host's own default.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The address to bind: numeric text (<c>0.0.0.0</c>, <c>::</c>, <c>127.0.0.1</c>) or a host name that is looked
    /// up (the first result is used). Default <c>localhost</c>, as Kestrel's: a server reachable from other machines
    /// says so in its configuration.
    /// </summary>
    public string Address { get; set; } = "localhost";

    /// <summary>
    /// The port, 0-65535; 0 lets the OS choose an ephemeral port (read it from the hosted server's <c>Port</c> after
    /// start, or from its "listening" log line). Required: a missing port is a validation error.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>The OS listen backlog; 0 (the default) means the system's maximum.</summary>
    public int Backlog { get; set; }

    /// <summary>For an IPv6 address: true to accept IPv6 only; false (the default) also accepts IPv4.</summary>
    public bool V6Only { get; set; }

    /// <summary>
    /// True to bind with Dart's <c>shared: true</c>: other shared binds of this process on the same address, port and
    /// <see cref="V6Only"/> share the socket, and connections are spread over them in turn. Required when
    /// <see cref="Workers"/> is more than 1.
    /// </summary>
    public bool Shared { get; set; }

    /// <summary>
    /// How many servers share the socket (1-1024, default 1): each is a shared bind of the same socket with its own
    /// accept pipeline, and connections are handed to them in turn. More than 1 needs <see cref="Shared"/>.
    /// </summary>
    public int Workers { get; set; } = 1;

    /// <summary>
    /// How long a stop waits for the requests or connections in progress to finish before it aborts them (default
    /// 30 s). The host's own shutdown timeout (<c>HostOptions.ShutdownTimeout</c>) aborts them too, whichever comes
    /// first. <see cref="TimeSpan.Zero"/> aborts at once.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>TLS: on when <see cref="DartIoTlsOptions.CertificateName"/> or <see cref="DartIoTlsOptions.CertificateFile"/> is set.</summary>
    public DartIoTlsOptions Tls { get; set; } = new();

    /// <summary>The PROXY protocol (section <c>Proxy</c>): off unless <see cref="DartIoProxyOptions.Mode"/> is set.</summary>
    public DartIoProxyOptions Proxy { get; set; } = new();
}
