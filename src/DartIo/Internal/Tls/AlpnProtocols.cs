using System.Net.Security;
using System.Text;

namespace DartIo.Internal.Tls;

/// <summary>ALPN protocol lists: Dart's rules for the names, and their conversion for <see cref="System.Net.Security.SslStream"/>.</summary>
internal static class AlpnProtocols
{
    /// <summary>Dart's limit on the whole list encoded as in the TLS extension (a length byte plus the name, each).</summary>
    private const int MaxEncodedLength = (1 << 13) - 1;

    /// <summary>
    /// Checks a protocol list (most preferred first) and converts it; null stays null.
    /// </summary>
    /// <exception cref="ArgumentException">A name is null, empty or longer than 255 bytes of UTF-8, or the list is too long.</exception>
    public static List<SslApplicationProtocol>? Convert(IReadOnlyList<string>? protocols, string parameterName)
    {
        if (protocols is null)
        {
            return null;
        }

        var converted = new List<SslApplicationProtocol>(protocols.Count);
        var encodedLength = 0;
        foreach (var protocol in protocols)
        {
            var bytes = protocol is null ? 0 : Encoding.UTF8.GetByteCount(protocol);
            if (bytes is < 1 or > 255)
            {
                throw new ArgumentException(Messages.AlpnNameInvalid(protocol, bytes), parameterName);
            }

            encodedLength += 1 + bytes;
            converted.Add(new SslApplicationProtocol(Encoding.UTF8.GetBytes(protocol!)));
        }

        if (encodedLength > MaxEncodedLength)
        {
            throw new ArgumentException(Messages.AlpnListTooLong(encodedLength, MaxEncodedLength), parameterName);
        }

        return converted;
    }

    /// <summary>The agreed protocol as text, or null when none was agreed.</summary>
    public static string? Name(SslApplicationProtocol protocol) =>
        protocol.Protocol.IsEmpty ? null : Encoding.UTF8.GetString(protocol.Protocol.Span);
}
