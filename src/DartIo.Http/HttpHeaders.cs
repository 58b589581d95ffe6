using System.Collections;
using DartIo.Http.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace DartIo;

/// <summary>
/// The headers of a request or a response: names are case-insensitive and a name may have several values.
/// Mirrors Dart's <c>HttpHeaders</c>.
/// </summary>
/// <remarks>
/// A view over Kestrel's own header dictionary, so reading or setting a header copies nothing. A request's
/// headers cannot be changed; a response's can until its body is first written to or it is closed, after
/// which every change throws <see cref="HttpException"/>, as in Dart.
/// </remarks>
public sealed class HttpHeaders : IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>
{
    private readonly IHeaderDictionary _headers;
    private readonly HttpResponse? _response;
    private readonly bool _readOnly;
    private readonly Lock? _defaultsGate;
    private KeyValuePair<string, StringValues>[] _defaults = [];

    private HttpHeaders(IHeaderDictionary headers, HttpResponse? response, bool readOnly, bool defaults)
    {
        _headers = headers;
        _response = response;
        _readOnly = readOnly;
        if (defaults)
        {
            _defaultsGate = new Lock();
        }
    }

    /// <summary>The values of a header, in the order they were added.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <returns>The values, or null when the header is absent.</returns>
    public IReadOnlyList<string>? this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            var values = _headers[name];
            return values.Count == 0 ? null : (IReadOnlyList<string>)(IReadOnlyList<string?>)values!;
        }
    }

    /// <summary>The <c>Content-Type</c> header, or null when absent. Mirrors Dart's <c>contentType</c>.</summary>
    /// <exception cref="HttpException">(Set.) The headers can no longer be changed.</exception>
    public string? ContentType
    {
        get
        {
            var values = _headers.ContentType;
            return values.Count == 0 ? null : values.ToString();
        }

        set
        {
            CheckMutable();
            _headers.ContentType = value;
            Changed();
        }
    }

    /// <summary>
    /// The <c>Content-Length</c> header; -1 when it is absent (or unknown). Setting -1 removes it.
    /// Mirrors Dart's <c>contentLength</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">(Set.) A value below -1.</exception>
    /// <exception cref="HttpException">(Set.) The headers can no longer be changed.</exception>
    public long ContentLength
    {
        get => _headers.ContentLength ?? -1;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, -1);
            CheckMutable();
            _headers.ContentLength = value == -1 ? null : value;
            Changed();
        }
    }

    /// <summary>The host named by the <c>Host</c> header, without its port; null when absent. Mirrors Dart's <c>host</c>.</summary>
    public string? Host
    {
        get
        {
            var values = _headers.Host;
            return values.Count == 0 ? null : HostHeader.HostPart(values[0]!);
        }
    }

    /// <summary>The port named by the <c>Host</c> header; null when absent or not given. Mirrors Dart's <c>port</c>.</summary>
    public int? Port
    {
        get
        {
            var values = _headers.Host;
            return values.Count == 0 ? null : HostHeader.PortPart(values[0]!);
        }
    }

    /// <summary>The single value of a header. Mirrors Dart's <c>value</c>.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <returns>The value, or null when the header is absent.</returns>
    /// <exception cref="HttpException">The header has more than one value.</exception>
    public string? Value(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var values = _headers[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw new HttpException(HttpMessages.MoreThanOneValue(name)),
        };
    }

    /// <summary>Adds a value to a header, after any it has. Mirrors Dart's <c>add</c>.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="HttpException">The headers can no longer be changed.</exception>
    public void Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        CheckMutable();
        _headers[name] = StringValues.Concat(_headers[name], value);
        Changed();
    }

    /// <summary>Sets a header to this one value, replacing any it had. Mirrors Dart's <c>set</c>.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="HttpException">The headers can no longer be changed.</exception>
    public void Set(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        CheckMutable();
        _headers[name] = value;
        Changed();
    }

    /// <summary>Removes one value of a header; the header goes when it has no value left. Mirrors Dart's <c>remove</c>.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <param name="value">The value to remove; nothing happens when the header does not have it.</param>
    /// <exception cref="HttpException">The headers can no longer be changed.</exception>
    public void Remove(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckMutable();
        var values = _headers[name];
        var index = Array.IndexOf(values.ToArray(), value);
        if (index < 0)
        {
            return;
        }

        if (values.Count == 1)
        {
            _headers.Remove(name);
        }
        else
        {
            var kept = new string?[values.Count - 1];
            for (int i = 0, j = 0; i < values.Count; i++)
            {
                if (i != index)
                {
                    kept[j++] = values[i];
                }
            }

            _headers[name] = new StringValues(kept);
        }

        Changed();
    }

    /// <summary>Removes a header with all its values. Mirrors Dart's <c>removeAll</c>.</summary>
    /// <param name="name">The header name, in any case.</param>
    /// <exception cref="HttpException">The headers can no longer be changed.</exception>
    public void RemoveAll(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckMutable();
        _headers.Remove(name);
        Changed();
    }

    /// <summary>Removes every header. Mirrors Dart's <c>clear</c>.</summary>
    /// <exception cref="HttpException">The headers can no longer be changed.</exception>
    public void Clear()
    {
        CheckMutable();
        _headers.Clear();
        Changed();
    }

    /// <summary>Every header with its values.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator()
    {
        foreach (var header in _headers)
        {
            yield return new(header.Key, (IReadOnlyList<string>)(IReadOnlyList<string?>)header.Value!);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        foreach (var header in _headers)
        {
            foreach (var value in header.Value)
            {
                text.Append(header.Key).Append(": ").Append(value).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>A read-only view of a request's headers.</summary>
    internal static HttpHeaders ForRequest(IHeaderDictionary headers) => new(headers, null, readOnly: true, defaults: false);

    /// <summary>A view of a response's headers, mutable until the response sends them.</summary>
    internal static HttpHeaders ForResponse(IHeaderDictionary headers, HttpResponse response) => new(headers, response, readOnly: false, defaults: false);

    /// <summary>A server's default response headers, kept as a snapshot that requests copy without locking.</summary>
    internal static HttpHeaders ForDefaults(IHeaderDictionary headers)
    {
        var view = new HttpHeaders(headers, null, readOnly: false, defaults: true);
        view.Changed();
        return view;
    }

    /// <summary>For default headers: the current headers, an array that is replaced (never changed) on every change.</summary>
    internal KeyValuePair<string, StringValues>[] Snapshot => Volatile.Read(ref _defaults);

    private void CheckMutable()
    {
        if (_readOnly || _headers.IsReadOnly || (_response?.HeadersSent ?? false))
        {
            throw new HttpException(HttpMessages.HeadersNotMutable);
        }
    }

    private void Changed()
    {
        if (_defaultsGate is null)
        {
            return;
        }

        lock (_defaultsGate)
        {
            Volatile.Write(ref _defaults, [.. _headers]);
        }
    }
}
