// The load client for the cases wrk and h2load do not cover; the same program for every server.
//
//   LoadClient echo     --port P [--connections 64] [--size 64] [--warmup 2] [--duration 10]
//       64 connections, each sending a 64-byte message and waiting for it to come back, in a loop.
//   LoadClient connrate --port P [--concurrency 32] [--size 64] [--warmup 2] [--duration 10]
//       connect, one 64-byte exchange, close, as fast as possible from 32 loops.
//   LoadClient tlsrate  --port P --trust CERT.pem [--concurrency 16] [--warmup 2] [--duration 10]
//       new TLS connections (full handshakes: no session resumption), one HTTP/1.1 GET each, close; the server's
//       certificate must chain to CERT.pem.
//   LoadClient idle     --port P [--connections 10000] [--warm 200] [--pause 3] [--hold 30]
//       opens --warm keep-alive HTTP/1.1 connections (one GET each), says so, waits --pause seconds, opens the
//       rest, says so, and holds them all idle for --hold seconds.
//
// All modes take --host (default 127.0.0.1). The rates count operations completed between the end of the
// warm-up and the end of the run. Output: one JSON line on stdout per result (idle: one per phase).
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Bench.LoadClient;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            await Console.Error.WriteLineAsync("usage: LoadClient echo|connrate|tlsrate|idle --port P [options] (see Program.cs)");
            return 2;
        }

        var options = Options.Parse(args.AsSpan(1));
        var endPoint = new IPEndPoint(IPAddress.Parse(options.Text("host", "127.0.0.1")), options.Int("port", 0));
        try
        {
            return args[0] switch
            {
                "echo" => await EchoAsync(endPoint, options),
                "connrate" => await ConnectionRateAsync(endPoint, options),
                "tlsrate" => await TlsRateAsync(endPoint, options),
                "idle" => await IdleAsync(endPoint, options),
                _ => throw new ArgumentException($"unknown mode '{args[0]}'"),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or SocketException or IOException or FormatException)
        {
            await Console.Error.WriteLineAsync($"LoadClient {args[0]}: {ex.Message}");
            Report(args[0], 0, 0, 1, 0);
            return 1;
        }
    }

    private static async Task<int> EchoAsync(IPEndPoint endPoint, Options options)
    {
        var connections = options.Int("connections", 64);
        var size = options.Int("size", 64);
        var sockets = new Socket[connections];
        for (var i = 0; i < connections; i++)
        {
            sockets[i] = await ConnectAsync(endPoint);
        }

        var meter = new Meter();
        var result = await meter.RunAsync(options, connections, i => EchoLoopAsync(sockets[i], size, meter));
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        Report("echo", result.Ops, result.Seconds, meter.Errors, connections);
        return 0;
    }

    private static async Task EchoLoopAsync(Socket socket, int size, Meter meter)
    {
        var message = new byte[size];
        Array.Fill(message, (byte)'x');
        var buffer = new byte[size];
        try
        {
            while (!meter.Stopping)
            {
                await socket.SendAsync(message, SocketFlags.None);
                await ReceiveExactlyAsync(socket, buffer);
                meter.Hit();
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            meter.Error();
        }
    }

    private static async Task<int> ConnectionRateAsync(IPEndPoint endPoint, Options options)
    {
        var concurrency = options.Int("concurrency", 32);
        var size = options.Int("size", 64);
        var meter = new Meter();
        var result = await meter.RunAsync(options, concurrency, _ => ConnectionLoopAsync(endPoint, size, meter));
        Report("connrate", result.Ops, result.Seconds, meter.Errors, concurrency);
        return 0;
    }

    private static async Task ConnectionLoopAsync(IPEndPoint endPoint, int size, Meter meter)
    {
        var message = new byte[size];
        Array.Fill(message, (byte)'x');
        var buffer = new byte[size];
        while (!meter.Stopping)
        {
            try
            {
                using var socket = await ConnectAsync(endPoint);
                await socket.SendAsync(message, SocketFlags.None);
                await ReceiveExactlyAsync(socket, buffer);
                meter.Hit();
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                if (meter.Error() > 1000)
                {
                    return; // the server is gone; stop hammering
                }
            }
        }
    }

    private static async Task<int> TlsRateAsync(IPEndPoint endPoint, Options options)
    {
        var concurrency = options.Int("concurrency", 16);
        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        var meter = new Meter();
        using var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(options.Text("trust", "cert.pem")));
        var result = await meter.RunAsync(options, concurrency, _ => TlsLoopAsync(endPoint, request, trusted, meter));
        Report("tlsrate", result.Ops, result.Seconds, meter.Errors, concurrency);
        return 0;
    }

    private static async Task TlsLoopAsync(IPEndPoint endPoint, byte[] request, X509Certificate2 trusted, Meter meter)
    {
        var buffer = new byte[16 * 1024];
        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            AllowTlsResume = false, // every connection pays a full handshake
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            // The run's throwaway certificate is the only root trusted: the chain is checked, cheaply, with no
            // look-up in the system's store (which made the client, not the server, the bottleneck).
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                CustomTrustStore = { trusted },
            },
        };
        while (!meter.Stopping)
        {
            try
            {
                var socket = await ConnectAsync(endPoint);
                await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await stream.AuthenticateAsClientAsync(tls);
                await stream.WriteAsync(request);
                if (await HttpResponse.ReadAsync(stream, buffer))
                {
                    meter.Hit();
                }
                else
                {
                    meter.Error();
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or System.Security.Authentication.AuthenticationException)
            {
                if (meter.Error() > 1000)
                {
                    return;
                }
            }
        }
    }

    private static async Task<int> IdleAsync(IPEndPoint endPoint, Options options)
    {
        var total = options.Int("connections", 10_000);
        var warm = Math.Min(options.Int("warm", 200), total);
        var pause = TimeSpan.FromSeconds(options.Double("pause", 3));
        var hold = TimeSpan.FromSeconds(options.Double("hold", 30));
        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        var open = new List<Socket>(total);
        var errors = 0;
        var started = Stopwatch.GetTimestamp();

        async Task OpenAsync(int count)
        {
            var next = 0;
            var workers = Enumerable.Range(0, Math.Min(64, count)).Select(async _ =>
            {
                var buffer = new byte[16 * 1024];
                while (Interlocked.Increment(ref next) <= count)
                {
                    Socket? socket = null;
                    try
                    {
                        socket = await ConnectAsync(endPoint);
                        await socket.SendAsync(request, SocketFlags.None);
                        if (!await HttpResponse.ReadAsync(new NetworkStream(socket, ownsSocket: false), buffer))
                        {
                            throw new IOException("bad response");
                        }

                        lock (open)
                        {
                            open.Add(socket);
                        }
                    }
                    catch (Exception ex) when (ex is SocketException or IOException)
                    {
                        socket?.Dispose();
                        if (Interlocked.Increment(ref errors) == 1)
                        {
                            await Console.Error.WriteLineAsync($"LoadClient idle: {ex.Message}");
                        }
                    }
                }
            }).ToArray();
            await Task.WhenAll(workers);
        }

        await OpenAsync(warm);
        Console.WriteLine($"{{\"mode\":\"idle\",\"phase\":\"warm\",\"open\":{open.Count},\"errors\":{errors}}}");
        await Task.Delay(pause);
        await OpenAsync(total - warm);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds - pause.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"mode\":\"idle\",\"phase\":\"open\",\"open\":{open.Count},\"errors\":{errors},\"seconds\":{seconds:F2}}}"));

        // Hold them, idle; a connection the server closes meanwhile shows as readable with 0 bytes.
        await Task.Delay(hold);
        var closedByServer = open.Count(s => s.Poll(0, SelectMode.SelectRead));
        foreach (var socket in open)
        {
            socket.Dispose();
        }

        Console.WriteLine($"{{\"mode\":\"idle\",\"phase\":\"done\",\"open\":{open.Count},\"closedByServer\":{closedByServer}}}");
        return 0;
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async ValueTask ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            got += read;
        }
    }

    private static void Report(string mode, long ops, double seconds, long errors, int connections)
    {
        var rate = seconds > 0 ? ops / seconds : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"mode\":\"{mode}\",\"ops\":{ops},\"seconds\":{seconds:F3},\"rate\":{rate:F1},\"errors\":{errors},\"connections\":{connections}}}"));
    }
}

/// <summary>Counts operations, and times the measured window between the warm-up and the end of the run.</summary>
internal sealed class Meter
{
    private long _ops;
    private long _errors;
    private volatile bool _stopping;

    public bool Stopping => _stopping;

    public long Errors => Interlocked.Read(ref _errors);

    public void Hit() => Interlocked.Increment(ref _ops);

    public long Error() => Interlocked.Increment(ref _errors);

    public async Task<(long Ops, double Seconds)> RunAsync(Options options, int loops, Func<int, Task> loop)
    {
        var warmup = TimeSpan.FromSeconds(options.Double("warmup", 2));
        var duration = TimeSpan.FromSeconds(options.Double("duration", 10));
        var tasks = Enumerable.Range(0, loops).Select(i => Task.Run(() => loop(i))).ToArray();
        await Task.Delay(warmup);
        var before = Interlocked.Read(ref _ops);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(duration);
        var ops = Interlocked.Read(ref _ops) - before;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _stopping = true;
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync("LoadClient: some loops did not stop within 10 s (a stuck server?)");
        }

        return (ops, seconds);
    }
}

/// <summary>Reads one HTTP/1.1 response: the head, then a Content-Length body or a chunked one.</summary>
internal static class HttpResponse
{
    private static readonly SearchValues<string> s_contentLength = SearchValues.Create(["\r\ncontent-length:"], StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a complete 2xx response; false for another status or end-of-stream before the end.</summary>
    public static async ValueTask<bool> ReadAsync(Stream stream, byte[] buffer)
    {
        var filled = 0;
        var headEnd = -1;
        while (headEnd < 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                return false;
            }

            filled += read;
            headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (headEnd < 0 && filled == buffer.Length)
            {
                return false;
            }
        }

        var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
        if (head.Length < 12 || head[9] != '2')
        {
            return false;
        }

        var bodyStart = headEnd + 4;
        var at = head.AsSpan().IndexOfAny(s_contentLength);
        if (at >= 0)
        {
            var valueStart = at + "\r\ncontent-length:".Length;
            var valueEnd = head.IndexOf('\r', valueStart);
            var length = long.Parse(head.AsSpan(valueStart, (valueEnd < 0 ? head.Length : valueEnd) - valueStart).Trim(), CultureInfo.InvariantCulture);
            var remaining = length - (filled - bodyStart);
            while (remaining > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)));
                if (read == 0)
                {
                    return false;
                }

                remaining -= read;
            }

            return true;
        }

        // Chunked (or until close): read until the last chunk's empty line.
        var tail = buffer.AsSpan(bodyStart, filled - bodyStart).ToArray();
        while (!tail.AsSpan().EndsWith("0\r\n\r\n"u8))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase);
            }

            tail = [.. tail.AsSpan(Math.Max(0, tail.Length - 4)), .. buffer.AsSpan(0, read)];
        }

        return true;
    }
}

/// <summary>The --name value pairs of the command line.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = [];

    public static Options Parse(ReadOnlySpan<string> args)
    {
        var options = new Options();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            options._values[args[i][2..]] = args[i + 1];
        }

        if (args.Length % 2 != 0)
        {
            throw new ArgumentException($"'{args[^1]}' has no value");
        }

        return options;
    }

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        _values.TryGetValue(name, out var text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
