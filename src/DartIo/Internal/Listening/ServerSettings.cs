using System.Collections.ObjectModel;
using System.Net;

namespace DartIo.Internal.Listening;

/// <summary>
/// One server's accepting settings (API.md "Accepting: limits and the PROXY protocol"): settable until the server
/// first accepts, enumerates or listens, then fixed. <see cref="ServerSocket"/>, <see cref="SecureServerSocket"/> and
/// the HTTP server all keep theirs here.
/// </summary>
internal sealed class ServerSettings
{
    private readonly TrustedProxyList _trustedProxies;
    private int _maxConnections;
    private int _maxConnectionsPerAddress;
    private ProxyProtocolMode _proxyProtocol;
    private volatile bool _fixed;

    public ServerSettings() => _trustedProxies = new TrustedProxyList(this);

    /// <summary>Connections of this server open at once; 0: no limit.</summary>
    public int MaxConnections
    {
        get => _maxConnections;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(ServerSocket.MaxConnections));
            ThrowIfFixed();
            _maxConnections = value;
        }
    }

    /// <summary>Connections open at once from one client address; 0: no limit.</summary>
    public int MaxConnectionsPerAddress
    {
        get => _maxConnectionsPerAddress;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(ServerSocket.MaxConnectionsPerAddress));
            ThrowIfFixed();
            _maxConnectionsPerAddress = value;
            MaxConnectionsPerAddressSet = true;
        }
    }

    public bool MaxConnectionsPerAddressSet { get; private set; }

    /// <summary>Whether connections begin with a PROXY protocol header.</summary>
    public ProxyProtocolMode ProxyProtocol
    {
        get => _proxyProtocol;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(ServerSocket.ProxyProtocol), value, null);
            }

            ThrowIfFixed();
            _proxyProtocol = value;
            ProxyProtocolSet = true;
        }
    }

    public bool ProxyProtocolSet { get; private set; }

    /// <summary>Peers whose PROXY header is believed; empty: every peer. Read-only once fixed.</summary>
    public IList<IPNetwork> TrustedProxies => _trustedProxies;

    /// <summary>True once the server has started accepting: every setter throws from then on.</summary>
    public bool IsFixed => _fixed;

    /// <summary>Fixes the settings; called when the server starts accepting.</summary>
    public void Fix() => _fixed = true;

    private void ThrowIfFixed()
    {
        if (_fixed)
        {
            throw new InvalidOperationException(Messages.SettingsFixed);
        }
    }

    /// <summary>The trusted-proxy list: a plain list that refuses changes once the server accepts.</summary>
    private sealed class TrustedProxyList(ServerSettings owner) : Collection<IPNetwork>
    {
        protected override void InsertItem(int index, IPNetwork item)
        {
            owner.ThrowIfFixed();
            base.InsertItem(index, item);
        }

        protected override void SetItem(int index, IPNetwork item)
        {
            owner.ThrowIfFixed();
            base.SetItem(index, item);
        }

        protected override void RemoveItem(int index)
        {
            owner.ThrowIfFixed();
            base.RemoveItem(index);
        }

        protected override void ClearItems()
        {
            owner.ThrowIfFixed();
            base.ClearItems();
        }
    }
}
