namespace DartIo;

/// <summary>
/// An error reported by the operating system: its text and its error number (errno on Unix).
/// Mirrors Dart's <c>OSError</c>.
/// </summary>
public sealed class OSError
{
    /// <summary>The value of <see cref="ErrorCode"/> when the OS gave no error number.</summary>
    public const int NoErrorCode = -1;

    /// <summary>Creates an OS error.</summary>
    /// <param name="message">The OS's text for the error, for example <c>Address already in use</c>.</param>
    /// <param name="errorCode">The OS error number (errno), or <see cref="NoErrorCode"/>.</param>
    public OSError(string message = "", int errorCode = NoErrorCode)
    {
        Message = message ?? string.Empty;
        ErrorCode = errorCode;
    }

    /// <summary>The OS's text for the error; empty when there is none.</summary>
    public string Message { get; }

    /// <summary>The OS error number (errno on Unix), or <see cref="NoErrorCode"/>.</summary>
    public int ErrorCode { get; }

    /// <summary>Dart's form: <c>OS Error: &lt;message&gt;, errno = &lt;code&gt;</c>.</summary>
    /// <returns>The error as text.</returns>
    public override string ToString()
    {
        var text = "OS Error";
        if (Message.Length > 0)
        {
            text += ": " + Message;
            if (ErrorCode != NoErrorCode)
            {
                text += ", errno = " + ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        else if (ErrorCode != NoErrorCode)
        {
            text += ": errno = " + ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return text;
    }
}
