namespace DartIo.Http.Internal.Hosting;

/// <summary>
/// A connection handed over by <see cref="HttpResponse.DetachSocketAsync"/>: the accepted DartIo connection's socket,
/// endpoints and PROXY header, with Kestrel's upgraded stream as its bytes.
/// </summary>
internal sealed class DetachedSocketConnection(SocketConnection accepted, Stream upgraded) : SocketConnection(accepted, upgraded);
