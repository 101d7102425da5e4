using System.Diagnostics.CodeAnalysis;

namespace FastRnn.Format;

// Typed metadata accessors. Types are strict: an int64 entry is not returned by GetDouble, so a writer's mistake
// shows up as an error naming the key rather than as a silently converted value.
public sealed partial class FrnnFile
{
    /// <summary>All metadata entries in file order. Values are <see cref="long"/>, <see cref="double"/>,
    /// <see cref="string"/>, <see cref="bool"/>, <see cref="IReadOnlyList{T}"/> of <see cref="long"/> or
    /// <see cref="IReadOnlyList{T}"/> of <see cref="string"/>.</summary>
    public IReadOnlyDictionary<string, object> Metadata
    {
        get
        {
            ThrowIfDisposed();
            return _metadata;
        }
    }

    /// <summary>Whether a metadata entry named <paramref name="key"/> exists (ordinal comparison).</summary>
    public bool ContainsKey(string key)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(key);
        return _metadata.ContainsKey(key);
    }

    /// <summary>The int64 metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public long GetInt64(string key) => Get<long>(key, FrnnMetadataType.Int64);

    /// <summary>The float64 metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public double GetDouble(string key) => Get<double>(key, FrnnMetadataType.Float64);

    /// <summary>The string metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public string GetString(string key) => Get<string>(key, FrnnMetadataType.String);

    /// <summary>The bool metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public bool GetBool(string key) => Get<bool>(key, FrnnMetadataType.Bool);

    /// <summary>A copy of the int64-array metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public long[] GetInt64Array(string key) => [.. Get<IReadOnlyList<long>>(key, FrnnMetadataType.Int64Array)];

    /// <summary>A copy of the string-array metadata value <paramref name="key"/>.</summary>
    /// <exception cref="FrnnFormatException">The key is missing or holds another type.</exception>
    public string[] GetStringArray(string key) => [.. Get<IReadOnlyList<string>>(key, FrnnMetadataType.StringArray)];

    /// <summary>Gets int64 metadata <paramref name="key"/>; false if it is missing or holds another type.</summary>
    public bool TryGetInt64(string key, out long value) => TryGet(key, out value);

    /// <summary>Gets float64 metadata <paramref name="key"/>; false if it is missing or holds another type.</summary>
    public bool TryGetDouble(string key, out double value) => TryGet(key, out value);

    /// <summary>Gets string metadata <paramref name="key"/>; false if it is missing or holds another type.</summary>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) => TryGet(key, out value);

    /// <summary>Gets bool metadata <paramref name="key"/>; false if it is missing or holds another type.</summary>
    public bool TryGetBool(string key, out bool value) => TryGet(key, out value);

    /// <summary>Gets a copy of int64-array metadata <paramref name="key"/>; false if it is missing or holds another
    /// type.</summary>
    public bool TryGetInt64Array(string key, [NotNullWhen(true)] out long[]? value)
    {
        bool found = TryGet(key, out IReadOnlyList<long>? list);
        value = found ? [.. list!] : null;
        return found;
    }

    /// <summary>Gets a copy of string-array metadata <paramref name="key"/>; false if it is missing or holds another
    /// type.</summary>
    public bool TryGetStringArray(string key, [NotNullWhen(true)] out string[]? value)
    {
        bool found = TryGet(key, out IReadOnlyList<string>? list);
        value = found ? [.. list!] : null;
        return found;
    }

    private T Get<T>(string key, FrnnMetadataType type)
        where T : notnull
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(key);
        if (!_metadata.TryGetValue(key, out object? value))
        {
            FormatErrors.ThrowMissingKey(key, _metadata.Count);
        }

        if (value is T typed)
        {
            return typed;
        }

        FormatErrors.ThrowWrongMetadataType(key, type, value);
        return default!;
    }

    private bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(key);
        if (_metadata.TryGetValue(key, out object? stored) && stored is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return false;
    }
}
