namespace Bench.Report;

/// <summary>One case of the benchmark as the report shows it: what was measured, against which reference.</summary>
/// <param name="Id">The case id bench/run records (for example <c>1-plaintext</c>).</param>
/// <param name="Title">The heading: number, what is measured and with which load generator.</param>
/// <param name="Unit">The unit of the values.</param>
/// <param name="Reference">The server every ratio is taken to; null when the case has none.</param>
/// <param name="HigherIsBetter">False for memory and spread, where less is better.</param>
/// <param name="Servers">The servers in the order they ran.</param>
/// <param name="Short">A short name for the summary chart.</param>
internal sealed record CaseDefinition(string Id, string Title, string Unit, string? Reference, bool HigherIsBetter,
    IReadOnlyList<string> Servers, string Short);

/// <summary>A goal from issue 5, checked against the medians of one run.</summary>
internal sealed record Target(string Case, string Server, string Text, Func<Medians, bool?> Check);

/// <summary>The cases, the servers' display names and the targets: the one place that says what the run means.</summary>
internal static class Cases
{
    public static readonly IReadOnlyList<CaseDefinition> All =
    [
        new("1-plaintext", "1. HTTP/1.1 plaintext hello, 64 keep-alive connections (wrk)", "req/s", "kestrel", true,
            ["kestrel", "dartio-listen", "dartio-foreach", "go", "node", "nginx", "kestrel-inline", "dartio-listen-inline"], "1 plaintext"),
        new("2-tls", "2a. HTTPS hello (HTTP/1.1 over TLS), 64 keep-alive connections (h2load --h1)", "req/s", "kestrel-tls", true,
            ["kestrel-tls", "dartio-tls", "go-tls", "nginx-tls"], "2a TLS"),
        new("2-handshake", "2b. New TLS connections: full handshake and one GET each, 16 loops (LoadClient tlsrate)", "conn/s", "kestrel-tls", true,
            ["kestrel-tls", "dartio-tls", "go-tls", "nginx-tls"], "2b handshakes"),
        new("3-h2", "3. HTTP/2 over TLS hello, 64 connections x 8 streams (h2load)", "req/s", "kestrel-tls", true,
            ["kestrel-tls", "dartio-tls", "go-tls", "nginx-tls"], "3 HTTP/2"),
        new("4-static-64k", "4a. Static file of 64 KiB, 64 keep-alive connections (wrk)", "req/s", "nginx-files", true,
            ["nginx-files", "dartio-serve", "go-files"], "4a 64 KiB"),
        new("4-static-16m", "4b. Static file of 16 MiB, 16 keep-alive connections (wrk)", "req/s", "nginx-files", true,
            ["nginx-files", "dartio-serve", "go-files"], "4b 16 MiB"),
        new("5-echo", "5. TCP echo, 64-byte messages, 64 connections ping-pong (LoadClient echo)", "msg/s", "dotnet-echo", true,
            ["dotnet-echo", "dartio-echo", "go-echo", "node-echo", "dotnet-echo-inline", "dartio-echo-inline"], "5 echo"),
        new("6-connrate", "6. Connection rate: connect, one 64-byte exchange, close; 32 loops (LoadClient connrate)", "conn/s", "dotnet-echo", true,
            ["dotnet-echo", "dartio-echo", "go-echo", "node-echo"], "6 conn rate"),
        new("7-shared", "7a. Shared HttpServers on one port, plaintext hello, 64 connections (wrk)", "req/s", "dartio-x1", true,
            ["dartio-x1", "dartio-x2", "dartio-x4"], "7a shared"),
        new("7-spread", "7b. Shared: requests per sharer, max/min (1.00 is even)", "max/min", null, false,
            ["dartio-x2", "dartio-x4"], "7b spread"),
        new("7-serve", "7c. dartio serve with 1, 2 and 4 workers sharing the port, a 1 KiB file, 64 connections (wrk)", "req/s", "dartio-serve-w1", true,
            ["dartio-serve-w1", "dartio-serve-w2", "dartio-serve-w4"], "7c serve workers"),
        new("8-memory", "8. Resident memory per idle keep-alive connection (10,000 connections, LoadClient idle)", "KiB/conn", "kestrel", false,
            ["kestrel", "dartio-listen", "go", "nginx"], "8 memory"),
        new("9-proxy", "9. Plaintext hello through HAProxy (mode tcp), 64 keep-alive connections (wrk): the PROXY header's cost", "req/s",
            "kestrel-haproxy", true, ["kestrel-haproxy", "dartio-haproxy", "dartio-haproxy-v2"], "9 PROXY"),
    ];

    public static string Label(string server) => server switch
    {
        "kestrel" or "kestrel-tls" => "Kestrel",
        "dartio-listen" => "DartIo Listen",
        "dartio-listen-inline" => "DartIo Listen, InlineCompletions",
        "kestrel-inline" => "Kestrel, inline completions (env)",
        "dartio-foreach" => "DartIo await foreach",
        "dartio-tls" => "DartIo Listen",
        "go" or "go-tls" => "Go net/http",
        "go-files" => "Go http.FileServer",
        "node" => "Node http",
        "nginx" or "nginx-tls" or "nginx-files" => "nginx",
        "dartio-serve" => "dartio serve",
        "dotnet-echo" => ".NET sockets",
        "dartio-echo" => "DartIo ServerSocket",
        "dartio-echo-inline" => "DartIo ServerSocket, InlineCompletions",
        "dotnet-echo-inline" => ".NET sockets, inline completions (env)",
        "go-echo" => "Go net",
        "node-echo" => "Node net",
        "dartio-x1" => "DartIo, 1 server",
        "dartio-x2" => "DartIo, 2 sharers",
        "dartio-x4" => "DartIo, 4 sharers",
        "dartio-serve-w1" => "dartio serve, 1 worker",
        "dartio-serve-w2" => "dartio serve, 2 workers",
        "dartio-serve-w4" => "dartio serve, 4 workers",
        "kestrel-haproxy" => "Kestrel, no header",
        "dartio-haproxy" => "DartIo Listen, no header",
        "dartio-haproxy-v2" => "DartIo Listen, send-proxy-v2 and ProxyProtocol = Required",
        _ => server,
    };

    /// <summary>The server's name without "DartIo", for the summary chart.</summary>
    public static string ShortLabel(string server) => server switch
    {
        "dartio-listen" or "dartio-tls" => "Listen",
        "dartio-foreach" => "await foreach",
        "dartio-echo" => "ServerSocket",
        "dartio-listen-inline" => "Listen, inline",
        "dartio-echo-inline" => "ServerSocket, inline",
        "dartio-x4" => "4 sharers",
        _ => Label(server),
    };

    public static bool IsDartIo(string server) => server.StartsWith("dartio", StringComparison.Ordinal);

    public static readonly IReadOnlyList<Target> Targets =
    [
        RatioAtLeast("1-plaintext", "dartio-listen", 0.95),
        Ahead("1-plaintext", "dartio-listen", "go"),
        TimesAtLeast("1-plaintext", "dartio-listen", "node", 2),
        Ahead("1-plaintext", "dartio-listen-inline", "go"),
        TimesAtLeast("1-plaintext", "dartio-listen-inline", "node", 2),
        RatioAtLeast("1-plaintext", "dartio-foreach", 0.85),
        Ahead("1-plaintext", "dartio-foreach", "go"),
        TimesAtLeast("1-plaintext", "dartio-foreach", "node", 2),
        RatioAtLeast("2-tls", "dartio-tls", 0.95),
        RatioAtLeast("2-handshake", "dartio-tls", 0.95),
        RatioAtLeast("3-h2", "dartio-tls", 0.95),
        RatioAtLeast("5-echo", "dartio-echo", 1.0),
        Ahead("5-echo", "dartio-echo", "node-echo"),
        Ahead("5-echo", "dartio-echo-inline", "node-echo"),
        RatioAtLeast("6-connrate", "dartio-echo", 1.0),
        Ahead("6-connrate", "dartio-echo", "node-echo"),
        RatioAtLeast("7-shared", "dartio-x4", 0.9),
        new("7-spread", "dartio-x4", "<= 1.2", m => m.Of("7-spread", "dartio-x4") is { } v ? v <= 1.2 : null),
        new("8-memory", "dartio-listen", "<= Kestrel", m => m.Ratio("8-memory", "dartio-listen") is { } r ? r <= 1.0 : null),
    ];

    private static Target RatioAtLeast(string c, string server, double ratio) =>
        new(c, server, $">= {ratio:0.00} x ref", m => m.Ratio(c, server) is { } r ? r >= ratio : null);

    private static Target Ahead(string c, string server, string other) =>
        new(c, server, $"> {Label(other)}", m => m.Of(c, server) is { } a && m.Of(c, other) is { } b ? a > b : null);

    private static Target TimesAtLeast(string c, string server, string other, double times) =>
        new(c, server, $">= {times:0}x {Label(other)}", m => m.Of(c, server) is { } a && m.Of(c, other) is { } b ? a >= times * b : null);
}
