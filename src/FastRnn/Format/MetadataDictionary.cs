using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace FastRnn.Format;

/// <summary>Read-only metadata view that enumerates in file order, so <c>inspect</c> output matches the order the
/// writer was given (a plain <see cref="Dictionary{TKey, TValue}"/> does not promise any order).</summary>
internal sealed class MetadataDictionary(int capacity) : IReadOnlyDictionary<string, object>
{
    private readonly Dictionary<string, object> _byKey = new(capacity, StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, object>> _inOrder = new(capacity);

    public int Count => _inOrder.Count;

    public IEnumerable<string> Keys => _inOrder.Select(pair => pair.Key);

    public IEnumerable<object> Values => _inOrder.Select(pair => pair.Value);

    public object this[string key] => _byKey[key];

    /// <summary>Adds an entry; the parser has already rejected duplicates.</summary>
    internal void Add(string key, object value)
    {
        _byKey.Add(key, value);
        _inOrder.Add(new KeyValuePair<string, object>(key, value));
    }

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value) => _byKey.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _inOrder.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
