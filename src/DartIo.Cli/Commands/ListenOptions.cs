using System.CommandLine;
using DartIo.Cli.Hosting;

namespace DartIo.Cli.Commands;

/// <summary>
/// Where a server listens: <c>-a/--address A</c>, <c>-p/--port N</c>, <c>--v6-only</c> and <c>--workers N</c>, the
/// options that <c>echo</c> and <c>serve</c> share (with their own default port and worker count).
/// </summary>
/// <param name="Address">The address or host name to bind.</param>
/// <param name="Port">The port; 0 picks a free one.</param>
/// <param name="V6Only">With an IPv6 address, accept IPv6 only.</param>
/// <param name="Workers">Listeners sharing the port, as asked (before <see cref="AcceptOptions.Workers"/> caps it).</param>
internal sealed record ListenOptions(string Address, int Port, bool V6Only, int Workers)
{
    /// <summary>Declares the options on a command; the function returned reads them from a parse of it.</summary>
    /// <param name="command">The command that takes them.</param>
    /// <param name="defaultPort">The port without <c>--port</c>.</param>
    /// <param name="defaultWorkers">The workers without <c>--workers</c>.</param>
    /// <param name="workersHelp">What a worker is and the default, for the help text.</param>
    public static Func<ParseResult, ListenOptions> Declare(Command command, int defaultPort, int defaultWorkers, string workersHelp)
    {
        var address = new Option<string>("--address", "-a")
        {
            HelpName = "A",
            Description = "The address or host name to bind; 0.0.0.0 or :: for every interface",
            DefaultValueFactory = _ => "localhost",
        };
        var port = new Option<string>("--port", "-p")
        {
            HelpName = "N",
            Description = "The port; 0 picks a free one",
            DefaultValueFactory = _ => defaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var v6Only = new Option<bool>("--v6-only") { Description = "With an IPv6 address, accept IPv6 only" };
        var workers = new Option<string>("--workers") { HelpName = "N", Description = workersHelp };
        command.Add(address);
        command.Add(port);
        command.Add(v6Only);
        command.Add(workers);
        return parse => new ListenOptions(
            parse.GetNonEmpty(address),
            parse.GetInt(port, defaultPort, 0, 65535),
            parse.GetValue(v6Only),
            parse.GetInt(workers, defaultWorkers, 1, 1024));
    }
}
