using System.Text;
using Microsoft.Net.Http.Headers;

namespace DartIo.Http.Internal;

/// <summary>Which encoding <see cref="HttpResponse.Write"/> uses: Dart's rule, the Content-Type's charset or else ISO-8859-1.</summary>
internal static class Charsets
{
    /// <summary>Dart's default Content-Type, recognised without parsing.</summary>
    public const string DefaultContentType = "text/plain; charset=utf-8";

    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static Encoding ForContentType(string? contentType)
    {
        if (contentType is null)
        {
            return Encoding.Latin1;
        }

        if (ReferenceEquals(contentType, DefaultContentType) || contentType == DefaultContentType)
        {
            return s_utf8;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.Charset is not { Length: > 0 } charset)
        {
            return Encoding.Latin1;
        }

        var name = charset.Value!.Trim('"');
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return s_utf8;
        }

        try
        {
            var encoding = Encoding.GetEncoding(name);
            return encoding.CodePage == Encoding.UTF8.CodePage ? s_utf8 : encoding;
        }
        catch (ArgumentException)
        {
            return Encoding.Latin1; // Dart falls back to Latin-1 for a charset it does not know
        }
    }
}
