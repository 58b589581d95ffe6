using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace DartIo.Http.Internal.WebSockets;

/// <summary>
/// Answers a client's <c>permessage-deflate</c> offers (RFC 7692): the first offer .NET's WebSocket can honour
/// is accepted, with the parameters the client asked for.
/// </summary>
internal static class DeflateNegotiation
{
    private const string Extension = "permessage-deflate";

    /// <summary>Picks an offer from the <c>Sec-WebSocket-Extensions</c> headers.</summary>
    /// <returns>The options and the response header value, or nulls when no offer can be accepted.</returns>
    public static (WebSocketDeflateOptions? Options, string? Response) Negotiate(StringValues offers)
    {
        foreach (var header in offers)
        {
            if (header is null)
            {
                continue;
            }

            foreach (var offer in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = offer.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && parts[0].Equals(Extension, StringComparison.OrdinalIgnoreCase) && TryAccept(parts, out var options, out var response))
                {
                    return (options, response);
                }
            }
        }

        return (null, null);
    }

    private static bool TryAccept(string[] parts, out WebSocketDeflateOptions options, out string response)
    {
        options = new WebSocketDeflateOptions();
        var answer = new StringBuilder(Extension);
        for (var i = 1; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=');
            var name = (equals < 0 ? parts[i] : parts[i][..equals]).Trim();
            var value = equals < 0 ? null : parts[i][(equals + 1)..].Trim().Trim('"');
            switch (name.ToLowerInvariant())
            {
                case "server_no_context_takeover" when value is null:
                    options.ServerContextTakeover = false;
                    answer.Append("; server_no_context_takeover");
                    break;
                case "client_no_context_takeover" when value is null:
                    options.ClientContextTakeover = false;
                    answer.Append("; client_no_context_takeover");
                    break;
                case "server_max_window_bits" when TryBits(value, out var bits):
                    options.ServerMaxWindowBits = bits;
                    answer.Append("; server_max_window_bits=").Append(bits.ToString(CultureInfo.InvariantCulture));
                    break;
                case "client_max_window_bits" when value is null:
                    break; // the client could take a limit; it needs none
                case "client_max_window_bits" when TryBits(value, out var bits):
                    options.ClientMaxWindowBits = bits;
                    answer.Append("; client_max_window_bits=").Append(bits.ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    response = string.Empty;
                    return false; // a parameter this side cannot honour (8-bit windows, unknown names): decline the offer
            }
        }

        response = answer.ToString();
        return true;
    }

    private static bool TryBits(string? value, out int bits) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out bits) && bits is >= 9 and <= 15;
}
