using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Support;

/// <summary>What a proxy sends its backend before the client's first byte.</summary>
internal enum ProxyHeaderKind
{
    /// <summary>Nothing: the backend sees the proxy as its peer.</summary>
    None,

    /// <summary>A PROXY protocol version 1 line (HAProxy <c>send-proxy</c>, nginx <c>proxy_protocol on</c>).</summary>
    V1,

    /// <summary>A PROXY protocol version 2 binary header (HAProxy <c>send-proxy-v2</c>).</summary>
    V2,
}

/// <summary>
/// A real TCP proxy, Debian's HAProxy or nginx's stream module, run as a child process of the test in front of a
/// backend on 127.0.0.1. It passes bytes through unchanged (TLS included: the header goes before the ClientHello),
/// after the PROXY protocol header it is told to send. It listens on 127.0.0.1 at a port bound for it by
/// <c>launch-with-listeners.py</c> (port 0, inherited by the proxy); its configuration, pid file and logs live in a
/// temporary folder removed on dispose, and the process (with nginx's worker) is killed on dispose.
/// </summary>
internal sealed class ProxyProcess : IAsyncDisposable
{
    public const string HaProxy = "/usr/sbin/haproxy";
    public const string Nginx = "/usr/sbin/nginx";
    public const string NginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    /// <summary>The source address the tests' clients bind to: a loopback address that is neither the proxy's nor the server's.</summary>
    public static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.7");

    private readonly Process _process;
    private readonly TemporaryDirectory _folder;
    private readonly Task<string> _errors;

    private ProxyProcess(Process process, TemporaryDirectory folder)
    {
        _process = process;
        _folder = folder;
        _errors = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The port on 127.0.0.1 where clients reach the proxy.</summary>
    public int Port { get; private set; }

    /// <summary>
    /// Starts HAProxy in TCP mode in front of 127.0.0.1:<paramref name="backendPort"/>, sending <paramref name="header"/>
    /// (<c>send-proxy</c>, <c>send-proxy-v2</c> or nothing); completes once it answers on its own readiness port.
    /// </summary>
    public static Task<ProxyProcess> StartHaProxyAsync(int backendPort, ProxyHeaderKind header)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backendPort); // port 0 would make HAProxy connect to itself
        var send = header switch
        {
            ProxyHeaderKind.V1 => " send-proxy",
            ProxyHeaderKind.V2 => " send-proxy-v2",
            _ => "",
        };
        var config = $"""
            global
                maxconn 4096
            defaults
                mode tcp
                timeout connect 5s
                timeout client 60s
                timeout server 60s
            frontend ready
                mode http
                bind fd@4
                monitor-uri /ready
            frontend clients
                bind fd@3
                default_backend server
            backend server
                server backend 127.0.0.1:{backendPort}{send}
            """;
        return StartAsync("haproxy.cfg", config, "GET /ready HTTP/1.0\r\n\r\n", folder => [HaProxy, "-db", "-f", Path.Combine(folder, "haproxy.cfg")]);
    }

    /// <summary>
    /// Starts nginx with its stream module in front of 127.0.0.1:<paramref name="backendPort"/>, with
    /// <c>proxy_protocol on</c> (version 1) or off; completes once it answers on its own readiness port.
    /// </summary>
    public static Task<ProxyProcess> StartNginxStreamAsync(int backendPort, bool proxyProtocol = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backendPort);
        // A master and one worker: with master_process off, nginx 1.22 crashes on inherited sockets.
        var config = $$"""
            load_module {{NginxStreamModule}};
            daemon off;
            worker_processes 1;
            pid nginx.pid;
            error_log stderr notice;
            events { worker_connections 1024; }
            stream {
                server {
                    listen 127.0.0.1:@PORT0@;
                    proxy_pass 127.0.0.1:{{backendPort}};
                    proxy_protocol {{(proxyProtocol ? "on" : "off")}};
                }
                server {
                    listen 127.0.0.1:@PORT1@;
                    return "ready\n";
                }
            }
            """;
        // Asked nothing: had it unread bytes when its `return` closes, the reset could discard the answer.
        return StartAsync("nginx.conf", config, "",
            folder => [Nginx, "-p", folder + "/", "-e", "stderr", "-c", Path.Combine(folder, "nginx.conf")]);
    }

    /// <summary>A client socket bound to <paramref name="source"/> (default <see cref="ClientAddress"/>) and connected to the proxy.</summary>
    public Task<Socket> ConnectAsync(IPAddress? source = null) => Loopback.ConnectFromAsync(source ?? ClientAddress, IPAddress.Loopback, Port);

    /// <summary>
    /// A TLS client through the proxy from <see cref="ClientAddress"/>, authenticated to a server for localhost with a
    /// certificate of the test CA (the server behind the proxy does TLS; the proxy passes bytes); with its own endpoint.
    /// </summary>
    public async Task<(SslStream Tls, IPEndPoint Client)> ConnectTlsAsync()
    {
        var socket = await ConnectAsync();
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = DartIo.FunctionalTests.Http.HttpServerSecureTests.TrustTestCa,
            }).Within();
            return (tls, (IPEndPoint)socket.LocalEndPoint!);
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the proxy has written to stderr so far (complete once it has exited), for assertion messages.</summary>
    public async Task<string> ErrorsAfterExitAsync()
    {
        await StopAsync();
        return await _errors;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        _folder.Dispose();
    }

    private static async Task<ProxyProcess> StartAsync(string configName, string config, string readyRequest, Func<string, string[]> command)
    {
        var folder = new TemporaryDirectory();
        Process? process = null;
        try
        {
            folder.Write(configName, config + "\n"); // HAProxy refuses a last line without its LF
            var info = new ProcessStartInfo("python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "launch-with-listeners.py"));
            info.ArgumentList.Add("2"); // 3: the clients' port, 4: the readiness port
            info.ArgumentList.Add(folder.File(configName));
            foreach (var argument in command(folder.Path))
            {
                info.ArgumentList.Add(argument);
            }

            process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
            var proxy = new ProxyProcess(process, folder);
            var ports = await process.StandardOutput.ReadLineAsync().Within();
            if (ports?.Split(' ') is not [var port, var ready])
            {
                throw new InvalidOperationException($"{command(folder.Path)[0]} did not start: {await proxy.ErrorsAfterExitAsync()}");
            }

            proxy.Port = int.Parse(port, System.Globalization.CultureInfo.InvariantCulture);
            await proxy.AwaitReadyAsync(int.Parse(ready, System.Globalization.CultureInfo.InvariantCulture), readyRequest, command(folder.Path)[0]);
            return proxy;
        }
        catch
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process?.Dispose();
            folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the readiness port for an answer (HAProxy's monitor-uri, nginx's stream <c>return</c>): it comes once the
    /// proxy runs its event loop; a proxy that died instead closes the socket, and its stderr says why.
    /// </summary>
    private async Task AwaitReadyAsync(int readyPort, string request, string program)
    {
        string answer;
        try
        {
            using var probe = await Loopback.ConnectRawAsync(IPAddress.Loopback, readyPort);
            using var stream = new NetworkStream(probe, ownsSocket: false);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().Within();
            answer = await Loopback.ReadToEndAsync(stream);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            answer = "";
        }

        if (answer.Length == 0)
        {
            throw new InvalidOperationException($"{program} did not become ready: {await ErrorsAfterExitAsync()}");
        }
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().Within();
    }
}

/// <summary>A fact that needs HAProxy; skipped, visibly, where it is not installed (scripts/test.sh installs it).</summary>
public sealed class HaProxyFactAttribute : FactAttribute
{
    public HaProxyFactAttribute()
    {
        if (!File.Exists(ProxyProcess.HaProxy))
        {
            Skip = "needs HAProxy (Debian: haproxy; scripts/test.sh installs it)";
        }
    }
}

/// <summary>A fact that needs nginx and its stream module; skipped, visibly, where they are not installed.</summary>
public sealed class NginxStreamFactAttribute : FactAttribute
{
    public NginxStreamFactAttribute()
    {
        if (!File.Exists(ProxyProcess.Nginx) || !File.Exists(ProxyProcess.NginxStreamModule))
        {
            Skip = "needs nginx and its stream module (Debian: nginx, libnginx-mod-stream; scripts/test.sh installs them)";
        }
    }
}
