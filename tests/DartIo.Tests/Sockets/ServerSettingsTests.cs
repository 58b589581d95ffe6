using System.Net;
using System.Net.Sockets;
using DartIo.Internal.Listening;

namespace DartIo.Tests.Sockets;

/// <summary>The accepting settings (API.md "Accepting: limits and the PROXY protocol") and how shared servers agree on them.</summary>
public sealed class ServerSettingsTests
{
    [Fact]
    public void ServerSettings_New_NoLimitsNoProxyProtocolEveryPeerTrusted()
    {
        var settings = new ServerSettings();

        Assert.Equal(0, settings.MaxConnections);
        Assert.Equal(0, settings.MaxConnectionsPerAddress);
        Assert.Equal(ProxyProtocolMode.None, settings.ProxyProtocol);
        Assert.Empty(settings.TrustedProxies);
        Assert.False(settings.IsFixed);
    }

    [Fact]
    public void Setters_BadValues_ThrowArgumentOutOfRangeNamingTheProperty()
    {
        var settings = new ServerSettings();

        Assert.Equal("MaxConnections", Assert.Throws<ArgumentOutOfRangeException>(() => settings.MaxConnections = -1).ParamName);
        Assert.Equal("MaxConnectionsPerAddress", Assert.Throws<ArgumentOutOfRangeException>(() => settings.MaxConnectionsPerAddress = -1).ParamName);
        Assert.Equal("ProxyProtocol", Assert.Throws<ArgumentOutOfRangeException>(() => settings.ProxyProtocol = (ProxyProtocolMode)3).ParamName);
        Assert.Equal((0, 0, ProxyProtocolMode.None), (settings.MaxConnections, settings.MaxConnectionsPerAddress, settings.ProxyProtocol));
    }

    [Fact]
    public void Setters_AfterFix_ThrowInvalidOperationAndKeepTheValues()
    {
        var settings = new ServerSettings { MaxConnections = 3, MaxConnectionsPerAddress = 2, ProxyProtocol = ProxyProtocolMode.Optional };
        var trusted = IPNetwork.Parse("10.0.0.0/8");
        settings.TrustedProxies.Add(trusted);

        settings.Fix();

        Assert.Throws<InvalidOperationException>(() => settings.MaxConnections = 4);
        Assert.Throws<InvalidOperationException>(() => settings.MaxConnectionsPerAddress = 4);
        Assert.Throws<InvalidOperationException>(() => settings.ProxyProtocol = ProxyProtocolMode.Required);
        Assert.Throws<InvalidOperationException>(() => settings.TrustedProxies.Add(IPNetwork.Parse("192.168.0.0/16")));
        Assert.Throws<InvalidOperationException>(() => settings.TrustedProxies[0] = IPNetwork.Parse("192.168.0.0/16"));
        Assert.Throws<InvalidOperationException>(() => settings.TrustedProxies.Remove(trusted));
        Assert.Throws<InvalidOperationException>(settings.TrustedProxies.Clear);
        Assert.Equal((3, 2, ProxyProtocolMode.Optional), (settings.MaxConnections, settings.MaxConnectionsPerAddress, settings.ProxyProtocol));
        Assert.Equal([trusted], settings.TrustedProxies);
    }

    [Fact]
    public void Merge_FirstServer_ItsSettingsBecomeTheSockets()
    {
        var settings = new ServerSettings { MaxConnectionsPerAddress = 5, ProxyProtocol = ProxyProtocolMode.Required };
        settings.TrustedProxies.Add(IPNetwork.Parse("127.0.0.0/8"));

        var policy = ListenerPolicy.Default.Merge(settings, fixedBefore: false, out var conflict);

        Assert.Null(conflict);
        Assert.Equal(5, policy!.MaxConnectionsPerAddress);
        Assert.Equal(ProxyProtocolMode.Required, policy.ProxyProtocol);
        Assert.Equal([IPNetwork.Parse("127.0.0.0/8")], policy.TrustedProxies);
    }

    [Fact]
    public void Merge_LaterServerWithDefaults_TakesTheSocketsSettings()
    {
        var socket = new ListenerPolicy(5, ProxyProtocolMode.Optional, [IPNetwork.Parse("10.0.0.0/8")]);

        var policy = socket.Merge(new ServerSettings { MaxConnections = 7 }, fixedBefore: true, out var conflict);

        Assert.Null(conflict);
        Assert.Same(socket, policy);
    }

    [Fact]
    public void Merge_LaterServerWithOtherSocketWideValues_IsAConflictNamingTheSetting()
    {
        var socket = new ListenerPolicy(5, ProxyProtocolMode.Optional, [IPNetwork.Parse("10.0.0.0/8")]);
        var otherTrust = new ServerSettings();
        otherTrust.TrustedProxies.Add(IPNetwork.Parse("192.168.0.0/16"));

        Assert.Null(socket.Merge(new ServerSettings { MaxConnectionsPerAddress = 0 }, fixedBefore: true, out var limit));
        Assert.Null(socket.Merge(new ServerSettings { ProxyProtocol = ProxyProtocolMode.None }, fixedBefore: true, out var mode));
        Assert.Null(socket.Merge(otherTrust, fixedBefore: true, out var trust));
        Assert.Equal("MaxConnectionsPerAddress is 5", limit);
        Assert.Equal("ProxyProtocol is Optional", mode);
        Assert.Equal("TrustedProxies is [10.0.0.0/8]", trust);
    }

    [Fact]
    public void Merge_SameTrustedProxiesInAnotherOrder_IsNoConflict()
    {
        var first = new ServerSettings();
        first.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));
        first.TrustedProxies.Add(IPNetwork.Parse("192.0.2.0/24"));
        var later = new ServerSettings();
        later.TrustedProxies.Add(IPNetwork.Parse("192.0.2.0/24"));
        later.TrustedProxies.Add(IPNetwork.Parse("10.0.0.0/8"));

        var socket = ListenerPolicy.Default.Merge(first, fixedBefore: false, out _)!;

        Assert.Same(socket, socket.Merge(later, fixedBefore: true, out var conflict));
        Assert.Null(conflict);
    }

    [Fact]
    public void Trusts_EmptyList_EveryPeerListed_OnlyPeersInsideIncludingMappedIPv4()
    {
        var everyone = ListenerPolicy.Default;
        var listed = new ListenerPolicy(0, ProxyProtocolMode.Required, [IPNetwork.Parse("127.0.0.0/8")]);

        Assert.True(everyone.Trusts(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 1)));
        Assert.True(listed.Trusts(new IPEndPoint(IPAddress.Parse("127.0.0.7"), 1)));
        Assert.True(listed.Trusts(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.7"), 1)));
        Assert.False(listed.Trusts(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 1)));
        Assert.False(listed.Trusts(new UnixDomainSocketEndPoint("/tmp/peer")));
    }
}
