using System.Diagnostics;
using DartIo.Cli.Serving;
using DartIo.FunctionalTests.Http;
using DartIo.FunctionalTests.Support;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>
/// The listing page drawn by a real browser (headless Chromium) in light and dark mode, decoded and looked at: not
/// blank, its own colours (so its style and icons ran under its Content-Security-Policy), the background of each mode.
/// With <c>DARTIO_LISTING_SCREENSHOTS=FOLDER</c> it also keeps the two PNGs there: scripts/screenshot-listing.sh
/// remakes docs/serve-listing*.png so.
/// </summary>
public sealed class ListingPageBrowserTests
{
    private const int Width = 1000;
    private const int Height = 820;

    private static readonly TimeSpan s_browserTimeout = TimeSpan.FromSeconds(90);

    [ChromiumFact]
    public async Task ListingPage_InChromium_IsDrawnInLightAndDarkModeAndIsNotBlank()
    {
        using var sample = SampleFolder();
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = sample.Path });
        var url = $"http://127.0.0.1:{server.Port}/projects/website/";
        using var shots = new TemporaryDirectory();

        var light = await ScreenshotAsync(url, Path.Join(shots.Path, "light.png"), dark: false);
        var dark = await ScreenshotAsync(url, Path.Join(shots.Path, "dark.png"), dark: true);

        if (Environment.GetEnvironmentVariable("DARTIO_LISTING_SCREENSHOTS") is { Length: > 0 } keep)
        {
            await File.WriteAllBytesAsync(Path.Join(keep, "serve-listing.png"), light);
            await File.WriteAllBytesAsync(Path.Join(keep, "serve-listing-dark.png"), dark);
        }

        Check(PngImage.Decode(light), background: (255, 255, 255), folder: (0x54, 0xae, 0xff), "light");
        Check(PngImage.Decode(dark), background: (0x0d, 0x11, 0x17), folder: (0x44, 0x93, 0xf8), "dark");
    }

    private static void Check(PngImage image, (byte, byte, byte) background, (byte, byte, byte) folder, string mode)
    {
        Assert.Equal((Width, Height), (image.Width, image.Height));
        Assert.True(image[3, 3] == background, $"{mode}: the background is {image[3, 3]}, not {background}");
        var drawn = image.CountUnlike(background);
        Assert.True(drawn > Width * Height / 50, $"{mode}: only {drawn} pixels differ from the background");
        Assert.True(image.DistinctColours() > 100, $"{mode}: only {image.DistinctColours()} colours");
        var folderPixels = image.CountNear(folder, tolerance: 2);
        Assert.True(folderPixels > 4 * 100, $"{mode}: {folderPixels} pixels of the folder icons' colour, for 4 folders");
    }

    /// <summary>Runs Chromium once to draw the page into a PNG; dark mode is what <c>--force-dark-mode</c> makes the page see.</summary>
    private static async Task<byte[]> ScreenshotAsync(string url, string file, bool dark)
    {
        using var profile = new TemporaryDirectory();
        var info = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--force-device-scale-factor=1", $"--user-data-dir={profile.Path}",
            $"--window-size={Width},{Height}", $"--screenshot={file}",
        })
        {
            info.ArgumentList.Add(argument);
        }

        if (dark)
        {
            info.ArgumentList.Add("--force-dark-mode"); // prefers-color-scheme: dark
        }

        info.ArgumentList.Add(url);
        using var chromium = Process.Start(info)!;
        var output = chromium.StandardOutput.ReadToEndAsync();
        var errors = chromium.StandardError.ReadToEndAsync();
        try
        {
            await chromium.WaitForExitAsync().WaitAsync(s_browserTimeout);
        }
        catch (TimeoutException)
        {
            chromium.Kill(entireProcessTree: true);
            await chromium.WaitForExitAsync().WaitAsync(HttpTesting.Timeout);
            throw new TimeoutException($"Chromium drew nothing in {s_browserTimeout}. Its output:\n{await output}\n{await errors}");
        }

        Assert.True(File.Exists(file), $"Chromium wrote no screenshot (exit {chromium.ExitCode}):\n{await output}\n{await errors}");
        return await File.ReadAllBytesAsync(file);
    }

    /// <summary>
    /// A folder as people serve one: a few folders and files of many sizes and dates (sparse, so nothing is written),
    /// a name that needs escaping, one with an accent, and a dotfile that must not show.
    /// </summary>
    private static TemporaryDirectory SampleFolder()
    {
        var sample = new TemporaryDirectory();
        var site = Path.Join(sample.Path, "projects", "website");
        foreach (var (name, time) in new[] { ("assets", "2025-02-11 10:02"), ("docs", "2025-03-20 16:45"), ("images", "2024-12-03 08:30"), ("src", "2025-03-21 11:17") })
        {
            Directory.CreateDirectory(Path.Join(site, name));
            Directory.SetLastWriteTimeUtc(Path.Join(site, name), At(time));
        }

        foreach (var (name, size, time) in new[]
        {
            ("README.md", 4_301L, "2025-03-14 09:26"),
            ("CHANGELOG.md", 13_107L, "2025-03-21 11:05"),
            ("about.html", 6_230L, "2025-03-19 18:40"),
            ("app.js", 151_552L, "2025-03-21 11:16"),
            ("styles.css", 23_552L, "2025-03-18 14:02"),
            ("logo.svg", 3_481L, "2024-10-07 12:00"),
            ("hero.jpg", 2_411_724L, "2024-11-29 17:45"),
            ("demo.mp4", 50_331_648L, "2025-01-08 20:12"),
            ("site-backup.tar.gz", 327_155_712L, "2025-03-01 03:00"),
            ("café menu.pdf", 98_304L, "2024-09-15 13:37"),
            ("notes <draft> & \"ideas\".txt", 812L, "2025-03-20 22:51"),
            (".env", 64L, "2025-03-01 00:00"),
        })
        {
            var file = Path.Join(site, name);
            using (var stream = File.Create(file))
            {
                stream.SetLength(size);
            }

            File.SetLastWriteTimeUtc(file, At(time));
        }

        return sample;
    }

    private static DateTime At(string time) =>
        DateTime.SpecifyKind(DateTime.ParseExact(time, "yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
