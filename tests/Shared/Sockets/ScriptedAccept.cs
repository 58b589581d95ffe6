using System.Net.Sockets;
using System.Threading.Channels;

namespace DartIo.Tests.Sockets;

/// <summary>
/// The accept function of a <c>ListeningSocket.ForTests</c> listener: each call takes the next outcome the test
/// scripted (a socket, or a <see cref="SocketException"/> with an OS error), waiting until there is one.
/// </summary>
internal sealed class ScriptedAccept
{
    private readonly Channel<object> _outcomes = Channel.CreateUnbounded<object>();

    /// <summary>The next accept returns this socket.</summary>
    public void Next(Socket socket) => _outcomes.Writer.TryWrite(socket);

    /// <summary>The next accept fails with this OS error.</summary>
    public void Fail(SocketError error) => _outcomes.Writer.TryWrite(new SocketException((int)error));

    /// <summary>The next accept throws this (what no real socket throws: the listener must still not die unseen).</summary>
    public void Throw(Exception error) => _outcomes.Writer.TryWrite(error);

    public async ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken)
    {
        var outcome = await _outcomes.Reader.ReadAsync(cancellationToken);
        return outcome is Exception error ? throw error : (Socket)outcome;
    }
}
