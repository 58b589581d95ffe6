using System.Net;
using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// The accepting options of the servers (issue 10): <c>--proxy-protocol required|optional</c>,
/// <c>--trusted-proxy CIDR</c> (repeatable), <c>--max-connections N</c> and <c>--max-connections-per-address N</c>.
/// </summary>
internal sealed class AcceptOptions
{
    public const string Usage = """
          --proxy-protocol required|optional
                           connections begin with a PROXY protocol header (v1 or v2) from a load balancer; the client
                           it names is the one logged. required: connections without one are closed
          --trusted-proxy CIDR
                           believe PROXY headers only from these peers (an address or a network such as 10.0.0.0/8;
                           repeatable); without it every peer is believed
          --max-connections N
                           at most N connections open at once over all workers (more wait in the backlog); 0: no limit
          --max-connections-per-address N
                           close connections from a client address that already has N open; 0: no limit
        """;

    private readonly int _maxConnections;

    private AcceptOptions(ProxyProtocolMode proxyProtocol, IReadOnlyList<IPNetwork> trustedProxies, int maxConnections, int maxPerAddress)
    {
        ProxyProtocol = proxyProtocol;
        TrustedProxies = trustedProxies;
        _maxConnections = maxConnections;
        MaxConnectionsPerAddress = maxPerAddress;
    }

    public ProxyProtocolMode ProxyProtocol { get; }

    public IReadOnlyList<IPNetwork> TrustedProxies { get; }

    public int MaxConnectionsPerAddress { get; }

    /// <summary>Reads the options.</summary>
    /// <exception cref="UsageException">A value is not one the option takes.</exception>
    public static AcceptOptions Read(ArgumentReader reader)
    {
        var proxy = reader.Option("--proxy-protocol") switch
        {
            null => ProxyProtocolMode.None,
            "required" => ProxyProtocolMode.Required,
            "optional" => ProxyProtocolMode.Optional,
            var other => throw new UsageException($"--proxy-protocol takes required or optional, not '{other}'"),
        };
        var trusted = reader.Options("--trusted-proxy").Select(ParseNetwork).ToArray();
        if (trusted.Length > 0 && proxy == ProxyProtocolMode.None)
        {
            throw new UsageException("--trusted-proxy needs --proxy-protocol required|optional");
        }

        var max = reader.Int("--max-connections", 0, 0, int.MaxValue);
        var perAddress = reader.Int("--max-connections-per-address", 0, 0, int.MaxValue);
        return new AcceptOptions(proxy, trusted, max, perAddress);
    }

    /// <summary>
    /// How many workers to start: a limit below the worker count leaves no share for the rest (a share of 0 would
    /// mean no limit), so then there are as many workers as connections allowed.
    /// </summary>
    public int Workers(int requested) => _maxConnections > 0 ? Math.Min(requested, _maxConnections) : requested;

    /// <summary>Worker <paramref name="index"/>'s share of <c>--max-connections</c> (the shares add up to it); 0: no limit.</summary>
    public int MaxConnectionsOf(int index, int workers) =>
        _maxConnections == 0 ? 0 : (_maxConnections / workers) + (index < _maxConnections % workers ? 1 : 0);

    /// <summary>Sets a plain server's accepting options, as worker <paramref name="index"/> of <paramref name="workers"/>.</summary>
    public void ApplyTo(ServerSocket server, int index, int workers) => Apply(server.TrustedProxies, index, workers,
        max => server.MaxConnections = max, perAddress => server.MaxConnectionsPerAddress = perAddress, proxy => server.ProxyProtocol = proxy);

    /// <summary>Sets a TLS server's accepting options, as worker <paramref name="index"/> of <paramref name="workers"/>.</summary>
    public void ApplyTo(SecureServerSocket server, int index, int workers) => Apply(server.TrustedProxies, index, workers,
        max => server.MaxConnections = max, perAddress => server.MaxConnectionsPerAddress = perAddress, proxy => server.ProxyProtocol = proxy);

    /// <summary>Sets an HTTP server's accepting options, as worker <paramref name="index"/> of <paramref name="workers"/>.</summary>
    public void ApplyTo(HttpServer server, int index, int workers) => Apply(server.TrustedProxies, index, workers,
        max => server.MaxConnections = max, perAddress => server.MaxConnectionsPerAddress = perAddress, proxy => server.ProxyProtocol = proxy);

    private void Apply(IList<IPNetwork> trusted, int index, int workers, Action<int> setMax, Action<int> setPerAddress,
        Action<ProxyProtocolMode> setProxy)
    {
        setMax(MaxConnectionsOf(index, workers));
        setPerAddress(MaxConnectionsPerAddress);
        setProxy(ProxyProtocol);
        foreach (var network in TrustedProxies)
        {
            trusted.Add(network);
        }
    }

    private static IPNetwork ParseNetwork(string text)
    {
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        throw new UsageException($"--trusted-proxy takes an address or a network such as 10.0.0.0/8, not '{text}'");
    }
}
