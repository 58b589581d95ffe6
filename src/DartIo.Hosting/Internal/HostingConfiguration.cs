namespace DartIo.Hosting.Internal;

/// <summary>Where a hosted server's settings live in configuration, and the conventions of their values.</summary>
internal static class HostingConfiguration
{
    /// <summary>The root section of every hosted DartIo server.</summary>
    public const string Root = "DartIo";

    /// <summary>A limit's value for "no limit".</summary>
    public const int NoLimit = -1;

    /// <summary>The configuration section of the server of this name: <c>DartIo:NAME</c>.</summary>
    public static string Section(string? name) => Root + ":" + name;
}
