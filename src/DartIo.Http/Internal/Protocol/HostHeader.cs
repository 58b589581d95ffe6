using System.Globalization;

namespace DartIo.Http.Internal;

/// <summary>Splits a <c>Host</c> header (<c>name</c>, <c>name:port</c>, <c>[v6]</c>, <c>[v6]:port</c>) into its parts.</summary>
internal static class HostHeader
{
    public static string HostPart(string value)
    {
        var colon = PortColon(value);
        return colon < 0 ? value : value[..colon];
    }

    public static int? PortPart(string value)
    {
        var colon = PortColon(value);
        return colon >= 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private static int PortColon(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon < 0)
        {
            return -1;
        }

        // "[::1]" has colons but no port; "[::1]:80" has one after the bracket; "::1" (unbracketed) has none.
        var bracket = value.LastIndexOf(']');
        if (bracket >= 0)
        {
            return colon > bracket ? colon : -1;
        }

        return value.IndexOf(':') == colon ? colon : -1;
    }
}
