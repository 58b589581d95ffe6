namespace DartIo.Internal;

/// <summary>The argument rules every bind shares (ServerSocket, SecureServerSocket, HttpServer).</summary>
internal static class BindArguments
{
    /// <summary>Checks the arguments synchronously, before any async work, with the parameter names users pass.</summary>
    public static void Validate(object? address, int port, int backlog)
    {
        ArgumentNullException.ThrowIfNull(address);
        if ((uint)port > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, Messages.PortOutOfRange(port));
        }

        if (backlog < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(backlog), backlog, Messages.BacklogNegative(backlog));
        }
    }

    /// <summary>Looks an address string up and takes the first result, which keeps the string as its host (Dart's rule).</summary>
    public static async Task<InternetAddress> ResolveAsync(string address, CancellationToken cancellationToken)
    {
        var found = await InternetAddress.LookupAsync(address, InternetAddressType.Any, cancellationToken).ConfigureAwait(false);
        return found[0].WithHost(address);
    }
}
