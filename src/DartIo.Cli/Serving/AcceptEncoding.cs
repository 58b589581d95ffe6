using Microsoft.Net.Http.Headers;

namespace DartIo.Cli.Serving;

/// <summary>
/// A request's <c>Accept-Encoding</c>, read as RFC 9110 §12.5.3 says: each coding's quality (a named coding's own,
/// else that of <c>*</c>, else 0), and the choice among the codings the server can send. The one place
/// <c>dartio serve</c> decides a representation's content coding, for precompressed files and on-the-fly compression
/// alike.
/// </summary>
internal sealed class AcceptEncoding
{
    /// <summary>A request without the header: identity only (RFC 9110 lets a server send any coding then; we don't).</summary>
    public static readonly AcceptEncoding None = new([]);

    private readonly IList<StringWithQualityHeaderValue> _codings;

    private AcceptEncoding(IList<StringWithQualityHeaderValue> codings) => _codings = codings;

    /// <summary>Reads the header's values; a malformed header accepts nothing but identity.</summary>
    /// <param name="values">The header's values as sent (one or more lines), or null when it is absent.</param>
    public static AcceptEncoding Parse(IReadOnlyList<string>? values) =>
        values is { Count: > 0 } && StringWithQualityHeaderValue.TryParseList([.. values], out var codings) ? new AcceptEncoding(codings) : None;

    /// <summary>
    /// How much the client wants a coding, 0 to 1: the quality it gave the coding by name, else the quality of its
    /// <c>*</c>, else 0. (<c>gzip;q=0</c> refuses gzip; <c>*;q=0.5</c> accepts br at 0.5 unless br is named.)
    /// </summary>
    public double Quality(string coding)
    {
        double? wildcard = null;
        foreach (var named in _codings)
        {
            if (named.Value.Equals(coding, StringComparison.OrdinalIgnoreCase))
            {
                return named.Quality ?? 1;
            }

            if (named.Value == "*")
            {
                wildcard ??= named.Quality ?? 1;
            }
        }

        return wildcard ?? 0;
    }

    /// <summary>
    /// The coding to send: the one the client gives the highest quality above 0, the earliest in
    /// <paramref name="offered"/> on a tie (the server's order of preference); null for identity, when the client
    /// accepts none of them or names <c>identity</c> with a higher quality than the best.
    /// </summary>
    /// <remarks>
    /// Identity is never refused: with <c>identity;q=0</c> and nothing else acceptable the body goes unencoded all the
    /// same (as nginx and Caddy do) rather than 406, which would leave the client with nothing at all.
    /// </remarks>
    /// <param name="offered">The codings the server can send this time, most preferred first; a coding may repeat.</param>
    /// <returns>The index in <paramref name="offered"/> of the coding to send, or -1 for identity.</returns>
    public int Choose(ReadOnlySpan<string> offered)
    {
        var best = -1;
        var bestQuality = 0.0;
        for (var i = 0; i < offered.Length; i++)
        {
            var quality = Quality(offered[i]);
            if (quality > bestQuality)
            {
                (best, bestQuality) = (i, quality);
            }
        }

        return best >= 0 && NamedIdentityQuality() > bestQuality ? -1 : best;
    }

    /// <summary>The quality of <c>identity</c> when the client names it; else 0, so that any coding it accepts wins.</summary>
    private double NamedIdentityQuality()
    {
        foreach (var named in _codings)
        {
            if (named.Value.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                return named.Quality ?? 1;
            }
        }

        return 0;
    }
}
