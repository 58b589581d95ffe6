using Microsoft.AspNetCore.Http;

namespace DartIo.Tests.Http;

public sealed class HttpHeadersTests
{
    private static HttpHeaders Mutable() => HttpHeaders.ForDefaults(new HeaderDictionary());

    [Fact]
    public void Indexer_AnyCase_FindsTheHeader()
    {
        var headers = Mutable();
        headers.Add("X-Thing", "one");

        Assert.Equal(["one"], headers["x-thing"]);
        Assert.Equal(["one"], headers["X-THING"]);
        Assert.Null(headers["absent"]);
    }

    [Fact]
    public void Add_TwiceThenValue_ThrowsHttpException()
    {
        var headers = Mutable();
        headers.Add("Accept", "text/html");
        headers.Add("accept", "text/plain");

        Assert.Equal(["text/html", "text/plain"], headers["Accept"]);
        Assert.Throws<HttpException>(() => headers.Value("Accept"));
    }

    [Fact]
    public void Value_SingleOrAbsent_ReturnsItOrNull()
    {
        var headers = Mutable();
        headers.Set("X-One", "1");

        Assert.Equal("1", headers.Value("x-one"));
        Assert.Null(headers.Value("x-none"));
    }

    [Fact]
    public void Set_ExistingValues_ReplacesThemAll()
    {
        var headers = Mutable();
        headers.Add("X-Many", "1");
        headers.Add("X-Many", "2");

        headers.Set("x-many", "3");

        Assert.Equal(["3"], headers["X-Many"]);
    }

    [Fact]
    public void Remove_OneValue_KeepsTheOthers()
    {
        var headers = Mutable();
        headers.Add("X-Many", "1");
        headers.Add("X-Many", "2");
        headers.Add("X-Many", "3");

        headers.Remove("X-Many", "2");
        headers.Remove("X-Many", "not there");

        Assert.Equal(["1", "3"], headers["X-Many"]);
        headers.Remove("X-Many", "1");
        headers.Remove("X-Many", "3");
        Assert.Null(headers["X-Many"]);
    }

    [Fact]
    public void RemoveAllAndClear_RemoveHeaders()
    {
        var headers = Mutable();
        headers.Add("A", "1");
        headers.Add("B", "2");

        headers.RemoveAll("a");
        Assert.Null(headers["A"]);
        headers.Clear();
        Assert.Empty(headers);
    }

    [Fact]
    public void ContentLength_AbsentOrSet_IsMinusOneOrTheValue()
    {
        var headers = Mutable();
        Assert.Equal(-1, headers.ContentLength);

        headers.ContentLength = 42;
        Assert.Equal(["42"], headers["content-length"]);
        headers.ContentLength = -1;
        Assert.Null(headers["Content-Length"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => headers.ContentLength = -2);
    }

    [Fact]
    public void ContentType_SetAndCleared_IsTheHeader()
    {
        var headers = Mutable();
        headers.ContentType = "text/html; charset=utf-8";

        Assert.Equal("text/html; charset=utf-8", headers.Value("content-type"));
        headers.ContentType = null;
        Assert.Null(headers.ContentType);
    }

    [Theory]
    [InlineData("example.com", "example.com", null)]
    [InlineData("example.com:8080", "example.com", 8080)]
    [InlineData("[::1]:8443", "[::1]", 8443)]
    [InlineData("[::1]", "[::1]", null)]
    public void Host_HostHeader_IsTheHostWithoutThePort(string host, string expectedHost, int? expectedPort)
    {
        var headers = Mutable();
        headers.Set("Host", host);

        Assert.Equal(expectedHost, headers.Host);
        Assert.Equal(expectedPort, headers.Port);
    }

    [Fact]
    public void RequestHeaders_AnyChange_ThrowsHttpException()
    {
        var headers = HttpHeaders.ForRequest(new HeaderDictionary { ["X-In"] = "1" });

        Assert.Throws<HttpException>(() => headers.Add("X-More", "2"));
        Assert.Throws<HttpException>(() => headers.Set("X-In", "2"));
        Assert.Throws<HttpException>(() => headers.RemoveAll("X-In"));
        Assert.Throws<HttpException>(() => headers.Clear());
        Assert.Throws<HttpException>(() => headers.ContentType = "text/plain");
        Assert.Equal("1", headers.Value("x-in"));
    }

    [Fact]
    public void Enumeration_EveryHeader_ComesWithItsValues()
    {
        var headers = Mutable();
        headers.Add("A", "1");
        headers.Add("A", "2");
        headers.Add("B", "3");

        var all = headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);

        Assert.Equal("1,2", all["A"]);
        Assert.Equal("3", all["B"]);
    }

    [Fact]
    public void Snapshot_AfterAChange_IsANewArray()
    {
        var headers = Mutable();
        headers.Add("A", "1");
        var before = headers.Snapshot;

        headers.Add("B", "2");

        Assert.Single(before);
        Assert.Equal(2, headers.Snapshot.Length);
    }
}
