using System.Globalization;

namespace DartIo.Cli.Hosting;

/// <summary>
/// Reads <c>--name value</c>, <c>--name=value</c>, <c>--flag</c> and positional arguments. Every option must be
/// known to the command (asked for with Option, Flag or Int), and
/// <see cref="Finish"/> rejects whatever is left, so a typo is an error rather than silently ignored.
/// </summary>
internal sealed class ArgumentReader
{
    private readonly List<string> _positionals = [];
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flagNames;

    /// <param name="args">The arguments after the command name.</param>
    /// <param name="flagNames">Options that take no value (for example <c>--v6-only</c>).</param>
    public ArgumentReader(IEnumerable<string> args, params string[] flagNames)
    {
        _flagNames = new HashSet<string>(flagNames, StringComparer.Ordinal);
        var queue = new Queue<string>(args);
        while (queue.TryDequeue(out var arg))
        {
            if (arg == "--")
            {
                _positionals.AddRange(queue);
                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                _positionals.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            string value;
            if (equals >= 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (_flagNames.Contains(name))
            {
                value = "true";
            }
            else if (!queue.TryDequeue(out value!))
            {
                throw new UsageException($"option {name} needs a value");
            }

            if (!_options.TryGetValue(name, out var values))
            {
                _options[name] = values = [];
            }

            values.Add(value);
        }
    }

    /// <summary>The positional arguments not yet taken.</summary>
    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>The last value of an option, or <paramref name="fallback"/>; an empty value is a usage error.</summary>
    public string Option(string name, string fallback) => Option(name) switch
    {
        null => fallback,
        "" => throw new UsageException($"option {name} needs a value, not an empty one"),
        var value => value,
    };

    /// <summary>The last value of an option, or null.</summary>
    public string? Option(string name)
    {
        if (!_options.Remove(name, out var values))
        {
            return null;
        }

        return values[^1];
    }

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> Options(string name) => _options.Remove(name, out var values) ? values : [];

    /// <summary>Whether a flag was given.</summary>
    public bool Flag(string name)
    {
        var value = Option(name);
        return value switch
        {
            null => false,
            "true" => true,
            "false" => false,
            _ => throw new UsageException($"flag {name} takes no value, not '{value}'"),
        };
    }

    /// <summary>An integer option within a range.</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        var text = Option(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'");
        }

        return value;
    }

    /// <summary>Takes the next positional argument, or null.</summary>
    public string? Positional()
    {
        if (_positionals.Count == 0)
        {
            return null;
        }

        var first = _positionals[0];
        _positionals.RemoveAt(0);
        return first;
    }

    /// <summary>Rejects unknown options and extra positional arguments.</summary>
    public void Finish()
    {
        if (_options.Count > 0)
        {
            throw new UsageException($"unknown option {_options.Keys.First()}");
        }

        if (_positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{_positionals[0]}'");
        }
    }
}
