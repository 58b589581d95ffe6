namespace DartIo.Cli.Hosting;

/// <summary>How the tool writes a host in a URL.</summary>
internal static class Urls
{
    /// <summary>The host as given, in brackets when it is numeric IPv6 text.</summary>
    public static string HostText(string host) =>
        InternetAddress.TryParse(host) is { Type: InternetAddressType.IPv6 } ? $"[{host}]" : host;
}
