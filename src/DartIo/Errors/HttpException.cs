namespace DartIo;

/// <summary>An HTTP operation failed. Mirrors Dart's <c>HttpException</c>.</summary>
public class HttpException : IOException
{
    /// <summary>Creates an HTTP exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="uri">The URI involved, if any.</param>
    public HttpException(string message, Uri? uri = null)
        : base(uri is null ? message : $"{message}, uri = {uri}")
    {
        Uri = uri;
    }

    /// <summary>The URI involved, or null.</summary>
    public Uri? Uri { get; }
}
