using System.Globalization;
using Microsoft.Extensions.Primitives;
using AspNetHeaders = Microsoft.Net.Http.Headers;
using NetHeaders = System.Net.Http.Headers;

namespace DartIo.Tests.Http;

/// <summary>
/// Dart's header helpers (<c>ContentType</c>, <c>HeaderValue</c>, <c>HttpDate</c>) have .NET counterparts that DartIo
/// points to instead of copying them (docs/dart-parity.md): these tests show each counterpart giving what Dart's
/// documented examples give, so the table can be trusted.
/// </summary>
public sealed class DartHeaderCounterpartTests
{
    // Dart: ContentType.parse("text/html; charset=utf-8") -> primaryType "text", subType "html", mimeType "text/html", charset "utf-8".
    [Fact]
    public void ContentTypeParse_MediaTypeHeaderValue_GivesDartsParts()
    {
        var parsed = NetHeaders.MediaTypeHeaderValue.Parse("text/html; charset=utf-8");
        Assert.Equal("text/html", parsed.MediaType);
        Assert.Equal("utf-8", parsed.CharSet);

        // The primary and sub type apart, as Dart's primaryType / subType: ASP.NET's header type has them.
        var aspNet = AspNetHeaders.MediaTypeHeaderValue.Parse("text/html; charset=utf-8");
        Assert.Equal("text", aspNet.Type.ToString());
        Assert.Equal("html", aspNet.SubType.ToString());
        Assert.Equal("utf-8", aspNet.Charset.ToString());
    }

    // Dart: ContentType("application", "json", charset: "utf-8").toString() == "application/json; charset=utf-8" (ContentType.json).
    [Fact]
    public void ContentTypeToString_MediaTypeHeaderValue_FormatsAsDart()
    {
        var json = new NetHeaders.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        Assert.Equal("application/json; charset=utf-8", json.ToString());
        Assert.Equal("application/json; charset=utf-8", new NetHeaders.MediaTypeHeaderValue(System.Net.Mime.MediaTypeNames.Application.Json, "utf-8").ToString());
        Assert.Equal("application/octet-stream", new NetHeaders.MediaTypeHeaderValue(System.Net.Mime.MediaTypeNames.Application.Octet).ToString()); // ContentType.binary
    }

    // Dart's ContentType.parse takes parameters it does not know, and keeps them: parameters["q"].
    [Fact]
    public void ContentTypeParameters_MediaTypeHeaderValue_KeepsThem()
    {
        var parsed = NetHeaders.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=\"a b\"; charset=utf-8");
        Assert.Equal("multipart/form-data", parsed.MediaType);
        Assert.Equal("\"a b\"", parsed.Parameters.Single(p => p.Name == "boundary").Value); // quoted as sent
        Assert.Equal("a b", AspNetHeaders.HeaderUtilities.RemoveQuotes(parsed.Parameters.Single(p => p.Name == "boundary").Value).ToString()); // Dart's value
    }

    [Fact]
    public void ContentTypeParse_Garbage_TryParseSaysNo()
    {
        // Dart's parse is lenient; in .NET, TryParse refuses what is not type/subtype.
        Assert.False(NetHeaders.MediaTypeHeaderValue.TryParse("not a type", out _));
        Assert.False(NetHeaders.MediaTypeHeaderValue.TryParse("", out _));
    }

    // Dart: HeaderValue.parse("attachment; filename=\"x y.txt\"") -> value "attachment", parameters {"filename": "x y.txt"}.
    [Fact]
    public void HeaderValueParse_NameValueWithParametersHeaderValue_GivesValueAndParameters()
    {
        var parsed = NetHeaders.NameValueWithParametersHeaderValue.Parse("attachment; filename=\"x y.txt\"");
        Assert.Equal("attachment", parsed.Name);
        Assert.Null(parsed.Value);
        var filename = parsed.Parameters.Single(p => p.Name == "filename");
        Assert.Equal("x y.txt", AspNetHeaders.HeaderUtilities.RemoveQuotes(filename.Value).ToString());

        // For Content-Disposition itself, the typed header: the file name unquoted.
        var disposition = NetHeaders.ContentDispositionHeaderValue.Parse("attachment; filename=\"x y.txt\"");
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("x y.txt", disposition.FileName);
    }

    // Dart: HeaderValue("form-data", {"name": "file"}).toString() == "form-data; name=file".
    [Fact]
    public void HeaderValueToString_NameValueWithParametersHeaderValue_FormatsAsDart()
    {
        var value = new NetHeaders.NameValueWithParametersHeaderValue("form-data");
        value.Parameters.Add(new NetHeaders.NameValueHeaderValue("name", "file"));
        Assert.Equal("form-data; name=file", value.ToString());

        // A value with a space must be quoted, which Dart does for you; .NET writes what it is given, so quote it yourself.
        Assert.Equal("name=a b", new NetHeaders.NameValueHeaderValue("name", "a b").ToString()); // written as given: not a valid header
        Assert.Equal("name=\"a b\"", new NetHeaders.NameValueHeaderValue("name", AspNetHeaders.HeaderUtilities.EscapeAsQuotedString("a b").ToString()).ToString());
    }

    // Dart: HttpDate.format(DateTime.utc(1994, 11, 6, 8, 49, 37)) == "Sun, 06 Nov 1994 08:49:37 GMT".
    [Fact]
    public void HttpDateFormat_RoundTripPattern_FormatsAsDart()
    {
        var date = new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero);
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", date.ToString("r", CultureInfo.InvariantCulture));
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", AspNetHeaders.HeaderUtilities.FormatDate(date));

        // "r" does not convert to UTC: a local time must be converted first (Dart's format converts it).
        var local = new DateTimeOffset(1994, 11, 6, 9, 49, 37, TimeSpan.FromHours(1));
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", local.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture));
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", AspNetHeaders.HeaderUtilities.FormatDate(local));
    }

    // Dart: HttpDate.parse accepts the three forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime).
    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Sun Nov  6 08:49:37 1994")]
    public void HttpDateParse_HeaderUtilities_AcceptsDartsThreeForms(string text)
    {
        Assert.True(AspNetHeaders.HeaderUtilities.TryParseDate(new StringSegment(text), out var parsed));
        Assert.Equal(new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero), parsed);
    }

    [Fact]
    public void HttpDateParse_Garbage_IsRefused()
    {
        // Dart's parse throws HttpException; TryParseDate says no.
        Assert.False(AspNetHeaders.HeaderUtilities.TryParseDate(new StringSegment("yesterday"), out _));
    }
}
