using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace DartIo.Internal.Tls;

/// <summary>
/// A distinguished name as a list of RDNs, each a set of (attribute OID, value), compared the way SPEC section 4
/// asks: attribute types and values case-insensitively, spacing around separators ignored, RDN order significant.
/// </summary>
/// <remarks>
/// The text form is RFC 4514's as .NET and NSS print it, most specific first (<c>CN=host, O=Org, C=US</c>):
/// RDNs separated by <c>,</c> or <c>;</c>, attributes of one RDN by <c>+</c>, values quoted or backslash-escaped.
/// Types are names (<c>CN</c>, <c>O</c>, <c>OU</c>, <c>ST</c>/<c>S</c>, <c>E</c>/<c>EMAILADDRESS</c>, …) or dotted OIDs.
/// </remarks>
internal sealed partial class DistinguishedName
{
    private static readonly Dictionary<string, string> s_typeOids = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CN"] = "2.5.4.3",
        ["SN"] = "2.5.4.4",
        ["SURNAME"] = "2.5.4.4",
        ["SERIALNUMBER"] = "2.5.4.5",
        ["C"] = "2.5.4.6",
        ["L"] = "2.5.4.7",
        ["S"] = "2.5.4.8",
        ["ST"] = "2.5.4.8",
        ["STREET"] = "2.5.4.9",
        ["O"] = "2.5.4.10",
        ["OU"] = "2.5.4.11",
        ["T"] = "2.5.4.12",
        ["TITLE"] = "2.5.4.12",
        ["G"] = "2.5.4.42",
        ["GN"] = "2.5.4.42",
        ["GIVENNAME"] = "2.5.4.42",
        ["I"] = "2.5.4.43",
        ["INITIALS"] = "2.5.4.43",
        ["E"] = "1.2.840.113549.1.9.1",
        ["EMAIL"] = "1.2.840.113549.1.9.1",
        ["EMAILADDRESS"] = "1.2.840.113549.1.9.1",
        ["DC"] = "0.9.2342.19200300.100.1.25",
        ["UID"] = "0.9.2342.19200300.100.1.1",
    };

    private readonly List<List<(string Oid, string Value)>> _rdns;

    private DistinguishedName(List<List<(string Oid, string Value)>> rdns) => _rdns = rdns;

    /// <summary>Whether a certificate name is a distinguished name (it has a <c>CN=</c> attribute) rather than a nickname.</summary>
    public static bool IsDistinguishedName(string name) => CommonNameAttribute().IsMatch(name);

    /// <summary>Parses RFC 4514 text; null when it is not a distinguished name.</summary>
    public static DistinguishedName? TryParse(string text)
    {
        var rdns = new List<List<(string, string)>>();
        var rdn = new List<(string, string)>();
        var i = 0;
        while (true)
        {
            // type
            var equals = text.IndexOf('=', i);
            if (equals < 0)
            {
                return null;
            }

            var oid = TypeOid(text[i..equals].Trim());
            if (oid is null)
            {
                return null;
            }

            // value, up to an unescaped, unquoted separator
            var value = new StringBuilder();
            var trailingSpaces = 0;
            var quoted = false;
            i = equals + 1;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            char separator = '\0';
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted)
                {
                    if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        if (c == '\\' && i + 1 < text.Length)
                        {
                            c = text[++i];
                        }

                        value.Append(c);
                        trailingSpaces = 0;
                    }
                }
                else if (c == '"')
                {
                    quoted = true;
                }
                else if (c == '\\' && i + 1 < text.Length)
                {
                    if (i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
                    {
                        value.Append((char)System.Convert.ToByte(text.Substring(i + 1, 2), 16));
                        i += 2;
                    }
                    else
                    {
                        value.Append(text[++i]);
                    }

                    trailingSpaces = 0;
                }
                else if (c is ',' or ';' or '+')
                {
                    separator = c;
                    i++;
                    break;
                }
                else
                {
                    value.Append(c);
                    trailingSpaces = c == ' ' ? trailingSpaces + 1 : 0;
                }
            }

            if (quoted)
            {
                return null;
            }

            rdn.Add((oid, value.ToString(0, value.Length - trailingSpaces)));
            if (separator != '+')
            {
                rdns.Add(rdn);
                rdn = [];
            }

            if (separator == '\0')
            {
                return new DistinguishedName(rdns);
            }
        }
    }

    /// <summary>The subject of a certificate, RDNs in the order of its text form (most specific first).</summary>
    public static DistinguishedName FromX500(X500DistinguishedName name)
    {
        var rdns = new List<List<(string, string)>>();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: true))
        {
            rdns.Add(DecodeRdn(rdn.RawData));
        }

        return new DistinguishedName(rdns);
    }

    /// <summary>Equal RDN by RDN, in order; within an RDN the attributes as sets; types and values ignoring case.</summary>
    public bool Matches(DistinguishedName other)
    {
        if (_rdns.Count != other._rdns.Count)
        {
            return false;
        }

        for (var i = 0; i < _rdns.Count; i++)
        {
            var mine = _rdns[i];
            var theirs = other._rdns[i];
            if (mine.Count != theirs.Count || !mine.TrueForAll(a => theirs.Exists(b =>
                    a.Oid == b.Oid && string.Equals(a.Value, b.Value, StringComparison.OrdinalIgnoreCase))))
            {
                return false;
            }
        }

        return true;
    }

    private static string? TypeOid(string type)
    {
        if (type.StartsWith("OID.", StringComparison.OrdinalIgnoreCase))
        {
            type = type[4..];
        }

        if (type.Length > 0 && char.IsAsciiDigit(type[0]))
        {
            return type;
        }

        return s_typeOids.GetValueOrDefault(type);
    }

    /// <summary>An RDN's DER: SET OF SEQUENCE { type OID, value }; values that are not strings compare as their hex DER.</summary>
    private static List<(string, string)> DecodeRdn(ReadOnlyMemory<byte> der)
    {
        var attributes = new List<(string, string)>();
        try
        {
            var set = new AsnReader(der, AsnEncodingRules.DER).ReadSetOf(skipSortOrderValidation: true);
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var oid = attribute.ReadObjectIdentifier();
                var tag = attribute.PeekTag();
                string value;
                if (tag.TagClass == TagClass.Universal && Enum.IsDefined((UniversalTagNumber)tag.TagValue) &&
                    IsStringType((UniversalTagNumber)tag.TagValue))
                {
                    value = attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                }
                else
                {
                    value = "#" + System.Convert.ToHexString(attribute.ReadEncodedValue().Span);
                }

                attributes.Add((oid, value));
            }
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException)
        {
            // A malformed name matches nothing.
            attributes.Add(("", "\0"));
        }

        return attributes;
    }

    private static bool IsStringType(UniversalTagNumber tag) => tag is UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString
        or UniversalTagNumber.IA5String or UniversalTagNumber.T61String or UniversalTagNumber.BMPString
        or UniversalTagNumber.UniversalString or UniversalTagNumber.VisibleString or UniversalTagNumber.NumericString;

    [GeneratedRegex(@"(^|[,;+\s])CN\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CommonNameAttribute();
}
