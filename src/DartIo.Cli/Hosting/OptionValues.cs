using System.CommandLine;
using System.Globalization;

namespace DartIo.Cli.Hosting;

/// <summary>
/// Option values with the tool's own checks and one-line messages: a whole number in a range, one of a few words, a
/// text that is not empty. System.CommandLine reports what it finds itself (an unknown option, a missing value); these
/// checks run when a command reads its options, before it binds or writes anything, and throw
/// <see cref="UsageException"/>.
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; <paramref name="fallback"/> when not given.</summary>
    /// <exception cref="UsageException">Not a whole number, or out of range (the message names the option and the range).</exception>
    public static int GetInt(this ParseResult parse, Option<string> option, int fallback, int min, int max)
    {
        var text = parse.GetValue(option);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{option.Name} must be a whole number from {min} to {max}, not '{text}'");
        }

        return value;
    }

    /// <summary>The value (or the option's default), which must not be empty.</summary>
    /// <exception cref="UsageException">Given as an empty text.</exception>
    public static string GetNonEmpty(this ParseResult parse, Option<string> option) => parse.GetValue(option) switch
    {
        null or "" => throw new UsageException($"option {option.Name} needs a value, not an empty one"),
        var value => value,
    };

    /// <summary>One of a few words, as the value it stands for; <paramref name="fallback"/> when not given.</summary>
    /// <exception cref="UsageException">Another word (the message lists the words).</exception>
    public static T GetChoice<T>(this ParseResult parse, Option<string> option, T fallback, params (string Word, T Value)[] choices)
    {
        var text = parse.GetValue(option);
        if (text is null)
        {
            return fallback;
        }

        foreach (var (word, value) in choices)
        {
            if (word == text)
            {
                return value;
            }
        }

        var words = choices.Select(c => c.Word).ToArray();
        var list = words.Length == 2 ? $"{words[0]} or {words[1]}" : string.Join(", ", words[..^1]) + " or " + words[^1];
        throw new UsageException($"{option.Name} takes {list}, not '{text}'");
    }
}
