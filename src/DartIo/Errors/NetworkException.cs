using System.Text;

namespace DartIo;

/// <summary>
/// A network operation failed: a bind, a connect, a host lookup or an accept. Mirrors Dart's
/// <c>SocketException</c>.
/// </summary>
/// <remarks>
/// <see cref="Exception.Message"/> reads like Dart's <c>toString()</c> without the type name, for example
/// <c>Failed to create server socket (OS Error: Address already in use, errno = 98), address = localhost, port = 8080</c>;
/// <see cref="Reason"/> is the bare message given to the constructor.
/// </remarks>
public class NetworkException : IOException
{
    /// <summary>Creates a network exception.</summary>
    /// <param name="message">What failed, for example <c>Failed to create server socket</c>.</param>
    /// <param name="osError">The OS error behind it, if any.</param>
    /// <param name="address">The address involved, if any; its <see cref="InternetAddress.Host"/> is shown.</param>
    /// <param name="port">The port involved, if any.</param>
    public NetworkException(string message, OSError? osError = null, InternetAddress? address = null, int? port = null)
        : this(message, osError, address, port, innerException: null)
    {
    }

    /// <summary>Creates a network exception that wraps the exception that caused it.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="osError">The OS error behind it, if any.</param>
    /// <param name="address">The address involved, if any.</param>
    /// <param name="port">The port involved, if any.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public NetworkException(string message, OSError? osError, InternetAddress? address, int? port, Exception? innerException)
        : base(Format(message, osError, address, port), innerException)
    {
        Reason = message ?? string.Empty;
        OSError = osError;
        Address = address;
        Port = port;
    }

    /// <summary>The bare message given to the constructor (Dart's <c>SocketException.message</c>).</summary>
    public string Reason { get; }

    /// <summary>The OS error behind the failure, or null.</summary>
    public OSError? OSError { get; }

    /// <summary>The address involved, or null.</summary>
    public InternetAddress? Address { get; }

    /// <summary>The port involved, or null.</summary>
    public int? Port { get; }

    private static string Format(string? message, OSError? osError, InternetAddress? address, int? port)
    {
        var text = new StringBuilder(message ?? string.Empty);
        if (osError is not null)
        {
            if (text.Length > 0)
            {
                text.Append(" (").Append(osError).Append(')');
            }
            else
            {
                text.Append(osError);
            }
        }

        if (address is not null)
        {
            text.Append(", address = ").Append(address.Host);
        }

        if (port is not null)
        {
            text.Append(", port = ").Append(port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
