namespace DartIo.Cli.Serving;

/// <summary>How the access log writes a request.</summary>
internal enum AccessLogFormat
{
    /// <summary>Apache's Combined Log Format, with the duration in milliseconds appended.</summary>
    Combined,

    /// <summary>One JSON object per line.</summary>
    Json,
}

/// <summary>
/// What <c>dartio serve</c> was asked to do, as the command line gave it: the one object the command builds and the
/// file handler reads. Defaults are the tool's defaults.
/// </summary>
internal sealed record ServeSettings
{
    /// <summary>The folder served.</summary>
    public required string Root { get; init; }

    /// <summary>Whether folders without an index.html are listed (else 403).</summary>
    public bool Listing { get; init; } = true;

    /// <summary>Whether compressible files are compressed on the fly for clients that accept it (<c>--gzip</c>).</summary>
    public bool Compress { get; init; }

    /// <summary>Whether names starting with '.' are served and listed (else 404 and unlisted, but for <c>/.well-known</c>).</summary>
    public bool Dotfiles { get; init; }

    /// <summary>Whether requests without a client certificate are refused (403).</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>The <c>Access-Control-Allow-Origin</c> to send (<c>--cors [ORIGIN]</c>, <c>*</c> without one); null for none.</summary>
    public string? CorsOrigin { get; init; }

    /// <summary>Extra response headers (<c>--header 'Name: value'</c>, repeatable), in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The <c>Cache-Control</c> value for files and listings (<c>--cache-control</c>, or <c>--max-age</c>); null for none.</summary>
    public string? CacheControl { get; init; }

    /// <summary>
    /// The file, relative to <see cref="Root"/>, answered for an unknown path without an extension (<c>--spa FILE</c>);
    /// null for a 404.
    /// </summary>
    public string? SpaFallback { get; init; }

    /// <summary>Whether requests are logged at all (<c>--quiet</c> turns the access log off).</summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>How each request is logged (<c>--log-format combined|json</c>).</summary>
    public AccessLogFormat LogFormat { get; init; } = AccessLogFormat.Combined;
}
