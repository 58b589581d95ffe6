using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace DartIo.Http.Internal;

/// <summary>A request's query parameters, every value of each key in the order sent (<see cref="HttpRequest.QueryParametersAll"/>).</summary>
internal sealed class QueryParameterMap(Dictionary<string, IReadOnlyList<string>> parameters) : IReadOnlyDictionary<string, IReadOnlyList<string>>
{
    public static readonly QueryParameterMap Empty = new(new Dictionary<string, IReadOnlyList<string>>(0, StringComparer.Ordinal));

    private LastValues? _last;

    /// <summary>The same parameters with the last value of each key (<see cref="HttpRequest.QueryParameters"/>).</summary>
    public IReadOnlyDictionary<string, string> Last => _last ??= new LastValues(parameters);

    public int Count => parameters.Count;

    public IEnumerable<string> Keys => parameters.Keys;

    public IEnumerable<IReadOnlyList<string>> Values => parameters.Values;

    public IReadOnlyList<string> this[string key] => parameters[key];

    public bool ContainsKey(string key) => parameters.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out IReadOnlyList<string> value) => parameters.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator() => parameters.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A view that answers each key's last value; nothing is copied.</summary>
    private sealed class LastValues(Dictionary<string, IReadOnlyList<string>> parameters) : IReadOnlyDictionary<string, string>
    {
        public int Count => parameters.Count;

        public IEnumerable<string> Keys => parameters.Keys;

        public IEnumerable<string> Values => parameters.Values.Select(values => values[^1]);

        public string this[string key] => parameters[key][^1];

        public bool ContainsKey(string key) => parameters.ContainsKey(key);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
        {
            value = parameters.TryGetValue(key, out var values) ? values[^1] : null;
            return value is not null;
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            foreach (var (key, values) in parameters)
            {
                yield return new(key, values[^1]);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
