using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DartIo.Cli.Serving;
using DartIo.Tests.Tls;

namespace DartIo.FunctionalTests.Cli;

/// <summary>The folder listing as served: breadcrumb, counts, sizes and times, sorting and filtering without script, escaping, headers.</summary>
public sealed partial class ListingPageTests : IAsyncLifetime
{
    private static readonly DateTime s_old = new(2023, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly DateTime s_middle = new(2024, 5, 1, 12, 34, 56, DateTimeKind.Utc);
    private static readonly DateTime s_new = new(2025, 7, 8, 9, 10, 11, DateTimeKind.Utc);

    private readonly TemporaryDirectory _root = new();
    private readonly TemporaryDirectory _outside = new();
    private StaticFileServer _server = null!;

    public async Task InitializeAsync()
    {
        Touch(_root.Write("top/small.txt", "12345"), s_new);
        Touch(_root.Write("top/medium.bin", new byte[1536]), s_old);
        Touch(_root.Write("top/large.bin", new byte[3 * 1024 * 1024]), s_middle);
        Directory.CreateDirectory(_root.File("top/b-folder"));
        Directory.CreateDirectory(_root.File("top/a-folder"));
        Directory.SetLastWriteTimeUtc(_root.File("top/b-folder"), s_old);
        Directory.SetLastWriteTimeUtc(_root.File("top/a-folder"), s_new);
        _root.Write("top/.secret", "hidden");
        _root.Write("deep/er/est/file.txt", "x");
        File.CreateSymbolicLink(_root.File("top/outside.txt"), _outside.Write("secret.txt", "outside secret"));
        File.CreateSymbolicLink(_root.File("top/inside.txt"), _root.File("top/small.txt"));
        _server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _root.Dispose();
        _outside.Dispose();
    }

    [Fact]
    public async Task Listing_Breadcrumb_LinksEveryAncestor()
    {
        var html = (await _server.SendAsync("/deep/er/est/")).Text;

        Assert.Contains("<a class=\"root\" href=\"/\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/deep/\">deep</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/deep/er/\">er</a>", html, StringComparison.Ordinal);
        Assert.Contains("<span aria-current=\"page\">est</span>", html, StringComparison.Ordinal); // itself: no link
        Assert.Contains("<title>Index of /deep/er/est/</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_Counts_NameFoldersAndFilesShown()
    {
        var html = (await _server.SendAsync("/top/")).Text;

        // a-folder, b-folder; small, medium, large, inside (the link out is not shown, nor the dotfile)
        Assert.Contains("2 folders, 4 files (3.0 MiB)", html, StringComparison.Ordinal);
        Assert.Contains("1 folder, 0 files", (await _server.SendAsync("/deep/")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_SizesAndTimes_AreReadableWithTheExactValuesAtHand()
    {
        var html = (await _server.SendAsync("/top/")).Text;

        Assert.Contains("<td class=\"size\" title=\"1,536 bytes\">1.5 KiB</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"size\" title=\"3,145,728 bytes\">3.0 MiB</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"size\" title=\"5 bytes\">5 B</td>", html, StringComparison.Ordinal);
        Assert.Contains("<time datetime=\"2024-05-01T12:34:56Z\">2024-05-01 12:34</time>", html, StringComparison.Ordinal);
        Assert.Contains("Times are UTC", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "a-folder/,b-folder/,inside.txt,large.bin,medium.bin,small.txt")]
    [InlineData("?sort=name&order=desc", "b-folder/,a-folder/,small.txt,medium.bin,large.bin,inside.txt")]
    [InlineData("?sort=size&order=desc", "b-folder/,a-folder/,large.bin,medium.bin,small.txt,inside.txt")]
    [InlineData("?sort=size", "a-folder/,b-folder/,inside.txt,small.txt,medium.bin,large.bin")]
    [InlineData("?sort=modified", "b-folder/,a-folder/,medium.bin,large.bin,inside.txt,small.txt")]
    [InlineData("?sort=modified&order=desc", "a-folder/,b-folder/,small.txt,inside.txt,large.bin,medium.bin")]
    public async Task Listing_SortQuery_OrdersFoldersFirstThenByTheColumn(string query, string names)
    {
        var html = (await _server.SendAsync("/top/" + query)).Text;

        Assert.Equal(names, string.Join(",", Names(html)));
    }

    [Theory]
    [InlineData("?sort=evil&order=sideways")]
    [InlineData("?sort=&order=&filter=")]
    [InlineData("?sort=size&sort=%ZZ&order=%")]
    [InlineData("?sort[]=size&order=desc&order")]
    [InlineData("?%00=%00&%FF")]
    public async Task Listing_BadSortOrFilterValues_AreIgnored(string query)
    {
        var response = await _server.SendAsync("/top/" + query);

        Assert.Equal(200, response.Status);
        Assert.Equal("a-folder/,b-folder/,inside.txt,large.bin,medium.bin,small.txt", string.Join(",", Names(response.Text)));
    }

    [Fact]
    public async Task Listing_FilterOfControlCharacters_MatchesNothingAndIsNoError()
    {
        var response = await _server.SendAsync("/top/?filter=%00%1B");

        Assert.Equal(200, response.Status);
        Assert.Contains("No names match.", response.Text, StringComparison.Ordinal);
        Assert.Contains("value=\"\uFFFD\uFFFD\"", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_SortHeadings_AreLinksThatTurnTheCurrentColumnAroundAndKeepTheFilter()
    {
        var byName = (await _server.SendAsync("/top/?filter=m")).Text;
        var bySize = (await _server.SendAsync("/top/?sort=size&order=desc")).Text;

        Assert.Contains("<th aria-sort=\"ascending\"><a href=\"?sort=name&amp;order=desc&amp;filter=m\">Name", byName, StringComparison.Ordinal);
        Assert.Contains("<a href=\"?sort=size&amp;order=asc&amp;filter=m\">Size</a>", byName, StringComparison.Ordinal);
        Assert.Contains("aria-sort=\"descending\"><a href=\"?sort=size&amp;order=asc\">Size", bySize, StringComparison.Ordinal);
        Assert.Contains("<input type=\"hidden\" name=\"sort\" value=\"size\"><input type=\"hidden\" name=\"order\" value=\"desc\">", bySize, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_Filter_KeepsTheNamesThatContainItWhateverTheCase()
    {
        var html = (await _server.SendAsync("/top/?filter=MEDIUM")).Text;

        Assert.Equal("medium.bin", string.Join(",", Names(html)));
        Assert.Contains("0 folders, 1 file (1.5 KiB) matching “MEDIUM”", html, StringComparison.Ordinal);
        Assert.Contains("<input type=\"search\" name=\"filter\" value=\"MEDIUM\"", html, StringComparison.Ordinal);
        Assert.Contains("No names match.", (await _server.SendAsync("/top/?filter=nothing-like-it")).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_FilterWithMarkup_IsEscapedWhereverItIsShown()
    {
        var html = (await _server.SendAsync("/top/?filter=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")).Text;

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_NamesWithMarkupQuotesSpacesAndNonAscii_AreEscapedAndLinkedPercentEncoded()
    {
        _root.Write("odd/<b>\"q\" & 'a' é.txt", "x");
        Directory.CreateDirectory(_root.File("odd/dir #1?"));

        var html = (await _server.SendAsync("/odd/")).Text;

        Assert.Contains("<a href=\"%3Cb%3E%22q%22%20%26%20%27a%27%20%C3%A9.txt\">", html, StringComparison.Ordinal);
        Assert.Contains("<span>&lt;b&gt;&quot;q&quot; &amp; &#39;a&#39; é.txt</span>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"dir%20%231%3F/\">", html, StringComparison.Ordinal);
        Assert.Equal("x", (await _server.SendAsync("/odd/%3Cb%3E%22q%22%20%26%20%27a%27%20%C3%A9.txt")).Text); // the link works
    }

    [Fact]
    public async Task Listing_NameThatIsNotUtf8_IsNotShownAsALinkThatCannotWork()
    {
        // A Linux name is bytes: "a\xFF.txt" reads as "a\uFFFD.txt", which names no file (its link was a 404); a name
        // that holds U+FFFD itself is a name like any other.
        _root.Write("bytes/b\uFFFD.txt", "real replacement character");
        using (var touch = System.Diagnostics.Process.Start("/bin/sh", ["-c", "touch \"$1/$(printf 'a\\377.txt')\"", "sh", _root.File("bytes")])!)
        {
            await touch.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, touch.ExitCode);
        }

        Assert.Equal(2, Directory.GetFiles(_root.File("bytes")).Length);
        var html = (await _server.SendAsync("/bytes/")).Text;

        Assert.DoesNotContain("a\uFFFD.txt", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"b%EF%BF%BD.txt\">", html, StringComparison.Ordinal);
        Assert.Contains("0 folders, 1 file", html, StringComparison.Ordinal);
        Assert.Equal("real replacement character", (await _server.SendAsync("/bytes/b%EF%BF%BD.txt")).Text);
    }

    [Fact]
    public async Task Listing_BreadcrumbOfAnOddFolderName_IsEscapedAndEncoded()
    {
        _root.Write("a <b> & c/d é/x.txt", "x");

        var html = (await _server.SendAsync("/a%20%3Cb%3E%20%26%20c/d%20%C3%A9/")).Text;

        Assert.Contains("<a href=\"/a%20%3Cb%3E%20%26%20c/\">a &lt;b&gt; &amp; c</a>", html, StringComparison.Ordinal);
        Assert.Contains("<span aria-current=\"page\">d é</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_ParentRow_IsThereBelowTheTopOnly()
    {
        var top = (await _server.SendAsync("/")).Text;
        var below = (await _server.SendAsync("/top/")).Text;

        Assert.DoesNotContain("href=\"../\"", top, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"up\"><td class=\"name\"><a href=\"../\">", below, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_Links_ShowWhatTheyLeadToOnlyWhenItIsServed()
    {
        var html = (await _server.SendAsync("/top/")).Text;

        Assert.Contains("<a href=\"inside.txt\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("outside.txt", html, StringComparison.Ordinal); // not even its size and time
        Assert.DoesNotContain(".secret", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_Headers_AreAStrictContentSecurityPolicyThatAllowsItsOwnStyleAndScript()
    {
        var response = await _server.SendAsync("/top/");
        var html = response.Text;
        var policy = response.Header("Content-Security-Policy")!;
        var style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        var script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;

        Assert.StartsWith("default-src 'none';", policy, StringComparison.Ordinal);
        Assert.Contains($"style-src 'sha256-{Sha256(style)}'", policy, StringComparison.Ordinal);
        Assert.Contains($"script-src 'sha256-{Sha256(script)}'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Header("X-Content-Type-Options"));
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(1, Regex.Count(html, "<style>"));
        Assert.Equal(1, Regex.Count(html, "<script>"));
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal); // an attribute would need 'unsafe-hashes'
        Assert.DoesNotMatch("\\son[a-z]+\\s*=", html); // nor would an event handler attribute
    }

    [Fact]
    public async Task Listing_Page_LoadsNothingFromElsewhere()
    {
        var html = (await _server.SendAsync("/top/")).Text;

        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("<symbol id=\"d\"", html, StringComparison.Ordinal); // the icons are inline
        Assert.Contains("@media (prefers-color-scheme:dark)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_Head_HasTheHeadersOfTheGetAndNoBody()
    {
        var get = await _server.SendAsync("/top/");
        var head = await _server.SendAsync("/top/", method: "HEAD");

        Assert.Equal(get.Header("Content-Length"), head.Header("Content-Length"));
        Assert.Equal(get.Header("Content-Security-Policy"), head.Header("Content-Security-Policy"));
        Assert.Empty(head.Body);
    }

    [Fact]
    public async Task Listing_WithCompress_IsCompressedForAClientThatAcceptsIt()
    {
        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = _root.Path, Compress = true });

        var response = await server.SendAsync("/top/", "Accept-Encoding: br\r\n");
        using var brotli = new BrotliStream(new MemoryStream(response.Body), CompressionMode.Decompress);

        Assert.Equal("br", response.Header("Content-Encoding"));
        Assert.Equal("Accept-Encoding", response.Header("Vary"));
        Assert.Contains("medium.bin", await new StreamReader(brotli).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_PageLargerThanTheResponseBuffer_IsSentAsItIsDrawnNotHeldWhole()
    {
        // 3,000 names: a page of about 1 MB, thirty times the response's buffer. Built whole (a string, then its bytes,
        // to send with a Content-Length), a folder of 50,000 names cost 60 MB or more a request.
        using var big = new TemporaryDirectory();
        for (var i = 0; i < 3_000; i++)
        {
            File.WriteAllBytes(Path.Join(big.Path, $"name-\u00e9\U0001F600-{i:D4}.txt"), []);
        }

        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = big.Path });
        var get = await server.SendAsync("/");
        var head = await server.SendAsync("/", method: "HEAD");

        Assert.Equal(200, get.Status);
        Assert.Equal("chunked", get.Header("Transfer-Encoding"));
        Assert.Null(get.Header("Content-Length"));
        Assert.Equal(get.Body.Length.ToString(CultureInfo.InvariantCulture), head.Header("Content-Length"));
        Assert.Equal(3_000, Regex.Count(get.Text, "<tr class=\"f\">"));
        Assert.Contains("<span>name-\u00e9\U0001F600-2999.txt</span>", get.Text, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", get.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', get.Text); // no character cut in two between parts
    }

    [Fact]
    public async Task Listing_TenThousandFiles_IsQuick()
    {
        const int Count = 10_000;
        using var big = new TemporaryDirectory();
        for (var i = 0; i < Count; i++)
        {
            File.WriteAllBytes(Path.Join(big.Path, $"file-{i:D5}.txt"), []);
        }

        await using var server = await StaticFileServer.StartAsync(new ServeSettings { Root = big.Path });
        await server.SendAsync("/?filter=file-00000"); // warm up: the first request JIT-compiles the handler

        var clock = Stopwatch.StartNew();
        var response = await server.SendAsync("/?sort=modified&order=desc");
        var elapsed = clock.Elapsed;

        Assert.Contains("0 folders, 10,000 files", response.Text, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"10,000 files took {elapsed.TotalMilliseconds:F0} ms to list");
    }

    [Fact]
    public void HumanSize_Bytes_AreShownInBinaryUnits()
    {
        Assert.Equal(
            ["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "10 KiB", "1.0 MiB", "15 MiB", "8.0 EiB"],
            new[] { 0L, 1023, 1024, 1536, 10 * 1024, 1 << 20, 15 << 20, long.MaxValue }.Select(ListingPage.HumanSize));
    }

    private static void Touch(string file, DateTime time) => File.SetLastWriteTimeUtc(file, time);

    private static string Sha256(string text) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The names listed, in their order (the link texts of the rows, folders with their slash).</summary>
    private static IEnumerable<string> Names(string html) =>
        RowName().Matches(html).Select(match => System.Net.WebUtility.HtmlDecode(match.Groups[1].Value));

    [GeneratedRegex("<tr class=\"[df]\"><td class=\"name\"><a href=\"[^\"]*\"><svg class=\"i [a-z]+\"><use href=\"#[a-z]+\"/></svg><span>([^<]*)</span>")]
    private static partial Regex RowName();
}
