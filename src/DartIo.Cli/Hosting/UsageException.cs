namespace DartIo.Cli.Hosting;

/// <summary>Bad command-line input: the tool prints the one-line reason and exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
