using System.Net;
using System.Text;
using DartIo.Http.Internal;
using DartIo.Http.Internal.WebSockets;

namespace DartIo.Tests.Http;

public sealed class HttpProtocolTextTests
{
    [Theory]
    [InlineData("text/plain; charset=utf-8", "utf-8")]
    [InlineData("text/html; charset=\"UTF-8\"", "utf-8")]
    [InlineData("text/plain; charset=utf-16", "utf-16")]
    [InlineData("application/json", "iso-8859-1")]
    [InlineData(null, "iso-8859-1")]
    [InlineData("text/plain; charset=no-such-charset", "iso-8859-1")]
    public void ForContentType_Charset_PicksDartsEncoding(string? contentType, string expected)
    {
        Assert.Equal(expected, Charsets.ForContentType(contentType).WebName);
    }

    [Fact]
    public void ForContentType_Utf8_WritesNoByteOrderMark()
    {
        Assert.Empty(Charsets.ForContentType(Charsets.DefaultContentType).GetPreamble());
    }

    [Fact]
    public void Parse_CookieHeaders_GivesEveryWellFormedPair()
    {
        var cookies = Cookies.Parse(["a=1; b=\"two\"; broken; =nameless", "c=3"]);

        Assert.Equal(["a=1", "b=two", "c=3"], cookies.Select(c => $"{c.Name}={c.Value}"));
    }

    [Fact]
    public void Format_CookieWithAttributes_IsASetCookieValue()
    {
        var cookie = new Cookie("id", "42", "/app", "example.com")
        {
            Secure = true,
            HttpOnly = true,
            Expires = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        };

        Assert.Equal("id=42; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Domain=example.com; Path=/app; Secure; HttpOnly", Cookies.Format(cookie));
    }

    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits=10; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover",
        "permessage-deflate; client_no_context_takeover")]
    [InlineData("x-webkit-deflate-frame", null)]
    [InlineData("permessage-deflate; unknown_parameter", null)]
    public void Negotiate_Offers_AcceptsTheFirstHonourableOne(string offer, string? expected)
    {
        var (options, response) = DeflateNegotiation.Negotiate(offer);

        Assert.Equal(expected, response);
        Assert.Equal(expected is not null, options is not null);
    }

    [Fact]
    public void Negotiate_WindowBits_AreApplied()
    {
        var (options, _) = DeflateNegotiation.Negotiate("permessage-deflate; server_max_window_bits=11; client_max_window_bits=9");

        Assert.Equal((11, 9), (options!.ServerMaxWindowBits, options.ClientMaxWindowBits));
    }

    [Fact]
    public void Latin1_NonLatinText_IsReplacedNotThrown()
    {
        Assert.Equal(new byte[] { (byte)'?' }, Charsets.ForContentType(null).GetBytes("€"));
        Assert.Equal(Encoding.Latin1.GetBytes("é"), Charsets.ForContentType(null).GetBytes("é"));
    }
}
