using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Http;

/// <summary>A real browser against the server: headless Chromium, which opens WebSockets over HTTP/2 when it can.</summary>
public sealed class WebSocketBrowserTests
{
    /// <summary>Chromium's start, the page, the WebSocket and the report together; a hang fails the test.</summary>
    private static readonly TimeSpan s_browserTimeout = TimeSpan.FromSeconds(60);

    private const string Page = """
        <!doctype html>
        <meta charset="utf-8">
        <title>echo</title>
        <script>
        const report = text => fetch('/result?' + encodeURIComponent(text));
        const socket = new WebSocket('wss://' + location.host + '/ws');
        socket.onopen = () => socket.send('hello from chromium');
        socket.onmessage = event => { report('echo:' + event.data); socket.close(1000); };
        socket.onclose = event => { if (event.code !== 1000) report('closed:' + event.code); };
        </script>
        """;

    [ChromiumFact]
    public async Task UpgradeAsync_ChromiumOverHttps_EchoesOverHttp2()
    {
        var upgradeVersion = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await HttpServer.BindSecureAsync("localhost", 0, HttpServerSecureTests.ServerContext());
        server.Listen(async request =>
        {
            var target = request.Uri.OriginalString;
            if (target == "/ws")
            {
                upgradeVersion.TrySetResult(request.ProtocolVersion);
                if (!WebSocketTransformer.IsUpgradeRequest(request))
                {
                    request.Response.StatusCode = 426;
                    return;
                }

                using var socket = await WebSocketTransformer.UpgradeAsync(request);
                var buffer = new byte[4096];
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, true, CancellationToken.None);
                await socket.ReceiveAsync(buffer, CancellationToken.None); // the page's close
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            else if (target.StartsWith("/result?", StringComparison.Ordinal))
            {
                result.TrySetResult(Uri.UnescapeDataString(target["/result?".Length..]));
            }
            else if (target == "/")
            {
                request.Response.Headers.ContentType = "text/html; charset=utf-8";
                request.Response.Write(Page);
            }
            else
            {
                request.Response.StatusCode = 404;
            }
        });

        using var profile = new TemporaryDirectory();
        var spki = Convert.ToBase64String(SHA256.HashData(TestCertificates.Server.PublicKey.ExportSubjectPublicKeyInfo()));
        var info = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-dev-shm-usage", $"--user-data-dir={profile.Path}",
            $"--ignore-certificate-errors-spki-list={spki}", // trusts the test server's key, and nothing else
            $"https://localhost:{server.Port}/",
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var chromium = Process.Start(info)!;
        var output = chromium.StandardOutput.ReadToEndAsync();
        var errors = chromium.StandardError.ReadToEndAsync();
        string reported;
        try
        {
            reported = await result.Task.WaitAsync(s_browserTimeout);
        }
        catch (TimeoutException)
        {
            chromium.Kill(entireProcessTree: true);
            throw new TimeoutException($"Chromium reported nothing. Its output:\n{await output}\n{await errors}");
        }
        finally
        {
            if (!chromium.HasExited)
            {
                chromium.Kill(entireProcessTree: true);
            }

            await chromium.WaitForExitAsync().WaitAsync(HttpTesting.Timeout);
        }

        Assert.Equal("echo:hello from chromium", reported);
        Assert.Equal("2", await upgradeVersion.Task.WaitAsync(HttpTesting.Timeout));
    }
}

/// <summary>A fact that is skipped, visibly and with the reason, when Chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!DartioRun.OnPath("chromium"))
        {
            Skip = "needs chromium (Debian: chromium; scripts/test.sh installs it)";
        }
    }
}
