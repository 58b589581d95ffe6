using System.CommandLine;
using System.Net;
using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// The accepting options of the servers (issue 10): <c>--proxy-protocol required|optional</c>,
/// <c>--trusted-proxy CIDR</c> (repeatable), <c>--max-connections N</c> and <c>--max-connections-per-address N</c>.
/// </summary>
internal sealed class AcceptOptions
{
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

    /// <summary>Declares the options on a command; the function returned reads them from a parse of it.</summary>
    /// <exception cref="UsageException">(From the function) a value is not one the option takes.</exception>
    public static Func<ParseResult, AcceptOptions> Declare(Command command)
    {
        var proxy = new Option<string>("--proxy-protocol")
        {
            HelpName = "required|optional",
            Description = "Connections begin with a PROXY protocol header (v1 or v2) from a load balancer; the client it names is "
                + "the one logged. required: connections without one are closed",
        };
        var trusted = new Option<string[]>("--trusted-proxy")
        {
            HelpName = "CIDR",
            Description = "Believe PROXY headers only from these peers (an address or a network such as 10.0.0.0/8; repeatable); "
                + "without it every peer is believed",
        };
        var max = new Option<string>("--max-connections")
        {
            HelpName = "N",
            Description = "At most N connections open at once over all workers (more wait in the backlog); 0: no limit",
        };
        var perAddress = new Option<string>("--max-connections-per-address")
        {
            HelpName = "N",
            Description = "Close connections from a client address that already has N open; 0: no limit",
        };
        proxy.CompletionSources.Add("required", "optional");
        command.Add(proxy);
        command.Add(trusted);
        command.Add(max);
        command.Add(perAddress);
        return parse =>
        {
            var mode = parse.GetChoice(proxy, ProxyProtocolMode.None, ("required", ProxyProtocolMode.Required), ("optional", ProxyProtocolMode.Optional));
            var networks = (parse.GetValue(trusted) ?? []).Select(ParseNetwork).ToArray();
            if (networks.Length > 0 && mode == ProxyProtocolMode.None)
            {
                throw new UsageException("--trusted-proxy needs --proxy-protocol required|optional");
            }

            return new AcceptOptions(mode, networks, parse.GetInt(max, 0, 0, int.MaxValue), parse.GetInt(perAddress, 0, 0, int.MaxValue));
        };
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
