using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>The access log's two formats as the file server writes them: Combined plus duration, and JSON lines.</summary>
public sealed class AccessLogTests : IDisposable
{
    private readonly TemporaryDirectory _root = new();

    public AccessLogTests() => _root.Write("hello.txt", "hello");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Combined_Request_IsTheCombinedLogFormatWithTheDurationAppended()
    {
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path }, log);

        await server.SendAsync("/hello.txt?x=1", "Referer: http://127.0.0.1/list/\r\nUser-Agent: curl/8.5.0\r\n");
        var line = await lines.NextAsync();

        var match = Regex.Match(line,
            "^127\\.0\\.0\\.1 - - \\[(\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000)\\] \"GET /hello.txt\\?x=1 HTTP/1.1\" 200 5 "
            + "\"http://127\\.0\\.0\\.1/list/\" \"curl/8\\.5\\.0\" (\\d+\\.\\d{3})$");
        Assert.True(match.Success, line);
        var time = DateTime.ParseExact(match.Groups[1].Value, "dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.Equal(DateTime.UtcNow, time, TimeSpan.FromMinutes(1));
        Assert.InRange(double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 0, 20_000);
    }

    [Fact]
    public async Task AccessLog_StderrThatTakesNothing_HoldsABoundedBacklogAndCountsTheLinesItDrops()
    {
        // stderr a full pipe: the first line's write does not return until the gate opens.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new LineWriter(gate.Task);
        var log = new AccessLog(lines);
        const int requests = 80;
        var userAgent = new string('u', 30_000); // near Kestrel's 32 KB of headers: some 30 lines fill the backlog
        await using (var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path }, log))
        {
            for (var i = 0; i < requests; i++)
            {
                Assert.Equal(200, (await server.SendAsync("/hello.txt", $"User-Agent: {userAgent}\r\n")).Status);
            }
        }

        gate.SetResult();
        await log.DisposeAsync().AsTask().Within();
        var written = lines.Rest();

        var logged = written.Count(line => line.Contains(userAgent, StringComparison.Ordinal));
        Assert.InRange(logged, 1, (AccessLog.MaxPendingChars / userAgent.Length) + 1);
        var notice = Assert.Single(written, line => line.StartsWith("dartio: warning: ", StringComparison.Ordinal));
        Assert.Equal(
            $"dartio: warning: {requests - logged} access log lines were dropped: stderr did not take them as fast as requests came",
            notice);
    }

    [Fact]
    public async Task Combined_NoRefererOrUserAgent_AreDashesAndQuotesInThemEscaped()
    {
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path }, log);

        await server.SendAsync("/missing");
        await server.SendAsync("/missing", "User-Agent: evil\" 200 1 \"x\r\n");
        var plain = await lines.NextAsync();
        var quoted = await lines.NextAsync();

        Assert.Contains("\"GET /missing HTTP/1.1\" 404 11 \"-\" \"-\" ", plain, StringComparison.Ordinal);
        Assert.Contains("\"-\" \"evil\\x22 200 1 \\x22x\" ", quoted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_Request_IsOneObjectPerLineWithEveryField()
    {
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, LogFormat = AccessLogFormat.Json }, log);

        await server.SendAsync("/hello.txt", "Referer: http://127.0.0.1/\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n");
        await server.SendAsync("/missing");
        var line = await lines.NextAsync();
        var bare = await lines.NextAsync();

        using var json = JsonDocument.Parse(line);
        var entry = json.RootElement;
        Assert.Equal(
            ["time", "remote", "method", "target", "protocol", "status", "bytes", "referer", "user_agent", "duration_ms"],
            entry.EnumerateObject().Select(property => property.Name));
        Assert.Equal(DateTime.UtcNow, entry.GetProperty("time").GetDateTime().ToUniversalTime(), TimeSpan.FromMinutes(1));
        Assert.EndsWith("Z", entry.GetProperty("time").GetString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", entry.GetProperty("remote").GetString());
        Assert.Equal("GET", entry.GetProperty("method").GetString());
        Assert.Equal("/hello.txt", entry.GetProperty("target").GetString());
        Assert.Equal("HTTP/1.1", entry.GetProperty("protocol").GetString());
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.Equal(5, entry.GetProperty("bytes").GetInt64());
        Assert.Equal("http://127.0.0.1/", entry.GetProperty("referer").GetString());
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64)", entry.GetProperty("user_agent").GetString());
        Assert.InRange(entry.GetProperty("duration_ms").GetDouble(), 0, 20_000);
        Assert.DoesNotContain('\n', line);
        using var missing = JsonDocument.Parse(bare);
        Assert.Equal(JsonValueKind.Null, missing.RootElement.GetProperty("user_agent").ValueKind);
        Assert.Equal(404, missing.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Json_ControlCharactersFromTheClient_AreEscapedAndReadBackAsSent()
    {
        var lines = new LineWriter();
        await using var log = new AccessLog(lines);
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, LogFormat = AccessLogFormat.Json }, log);

        await server.SendAsync("/missing?\u001b[31mred\u0007\"x\\", "User-Agent: a\u007fb\r\n");
        var line = await lines.NextAsync();

        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u0007', line);
        Assert.DoesNotContain('\u007f', line);
        using var json = JsonDocument.Parse(line);
        Assert.Equal("/missing?\u001b[31mred\u0007\"x\\", json.RootElement.GetProperty("target").GetString());
    }

    [Fact]
    public async Task AccessLogSetting_Off_LogsNothing()
    {
        var lines = new LineWriter();
        var log = new AccessLog(lines);
        await using (var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, AccessLog = false }, log))
        {
            Assert.Equal(200, (await server.SendAsync("/hello.txt")).Status);
            Assert.Equal(404, (await server.SendAsync("/missing")).Status);
        }

        await log.DisposeAsync(); // writes out whatever was logged

        Assert.Empty(lines.Rest());
    }
}
