using DartIo.Http.Internal;

namespace DartIo.Tests.Http;

/// <summary>How <see cref="HttpRequest.Path"/> and the query parameters read a request target.</summary>
public sealed class RequestTargetTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a%20b", "/a b")]
    [InlineData("/a%20b?x=1", "/a b")]
    [InlineData("/a+b", "/a+b")]
    [InlineData("/a%2Fb", "/a/b")]
    [InlineData("/caf%C3%A9", "/café")]
    [InlineData("/100%", "/100%")]
    [InlineData("/%zz%4", "/%zz%4")]
    [InlineData("/%FF", "/%FF")]
    [InlineData("/a/./b/../c", "/a/c")]
    [InlineData("/../../etc/passwd", "/etc/passwd")]
    [InlineData("/%2e%2e/%2E%2E/secret", "/secret")]
    [InlineData("/list/..%2f..%2fsecret", "/secret")]
    [InlineData("/a/..", "/")]
    [InlineData("/a/.", "/a/")]
    [InlineData("/.well-known/x", "/.well-known/x")]
    [InlineData("/..a/b..", "/..a/b..")]
    [InlineData("//docs", "//docs")]
    [InlineData("http://127.0.0.1:8080/file?x=1", "/file")]
    [InlineData("http://host", "/")]
    [InlineData("https://host?x", "/")]
    [InlineData("http://host/a%20b/../c", "/c")]
    [InlineData("*", "*")]
    [InlineData("example.com:443", "")]
    public void Path_Target_IsTheDecodedPath(string target, string path)
    {
        Assert.Equal(path, RequestTarget.Path(target));
    }

    [Fact]
    public void Path_NothingToDecode_IsTheTargetItself()
    {
        var target = new string("/plain/path".AsSpan());

        Assert.Same(target, RequestTarget.Path(target));
    }

    [Theory]
    [InlineData("/p?a=1&b=2", "a=1|b=2")]
    [InlineData("/p?a+b=c+d", "a b=c d")]
    [InlineData("/p?a%2Bb=c%2bd", "a+b=c+d")]
    [InlineData("/p?q=%E2%82%AC%20", "q=€ ")]
    [InlineData("/p?q=100%&r=%zz", "q=100%|r=%zz")]
    [InlineData("/p?flag&empty=&=nameless", "flag=|empty=|=nameless")]
    [InlineData("/p?&&a=1&&", "a=1")]
    [InlineData("/p?a=1=2", "a=1=2")]
    [InlineData("/p?a=%2F", "a=/")]
    [InlineData("http://h/p?x=y", "x=y")]
    [InlineData("/p", "")]
    [InlineData("/p?", "")]
    public void ParseQuery_Target_GivesTheDecodedPairs(string target, string expected)
    {
        var query = RequestTarget.ParseQuery(RequestTarget.Query(target)).Last;

        Assert.Equal(expected, string.Join('|', query.Select(p => $"{p.Key}={p.Value}")));
    }

    [Fact]
    public void ParseQuery_RepeatedKey_KeepsEveryValueAndTheLastAsTheValue()
    {
        var all = RequestTarget.ParseQuery(RequestTarget.Query("/p?a=1&b=x&a=2&a=3"));

        Assert.Equal(["1", "2", "3"], all["a"]);
        Assert.Equal(["x"], all["b"]);
        Assert.Equal("3", all.Last["a"]);
        Assert.Equal(2, all.Last.Count);
        Assert.True(all.Last.TryGetValue("b", out var b) && b == "x");
        Assert.False(all.Last.ContainsKey("A"));
    }

    [Fact]
    public void ParseQuery_NoQuery_IsTheSharedEmptyMap()
    {
        Assert.Same(QueryParameterMap.Empty, RequestTarget.ParseQuery(RequestTarget.Query("/p")));
        Assert.Empty(QueryParameterMap.Empty.Last);
    }
}
