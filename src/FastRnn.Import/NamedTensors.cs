namespace FastRnn.Import;

/// <summary>The tensors handed to an importer, in their original order, with each name checked to be unique.</summary>
internal static class NamedTensors
{
    public static List<KeyValuePair<string, TensorData>> ToList(IEnumerable<KeyValuePair<string, TensorData>> tensors, string source)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<KeyValuePair<string, TensorData>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, TensorData> t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t.Key, nameof(tensors));
            ArgumentNullException.ThrowIfNull(t.Value, nameof(tensors));
            if (!seen.Add(t.Key))
                throw ImportErrors.DuplicateTensor(source, t.Key);
            list.Add(t);
        }
        return list;
    }

    /// <summary>
    /// The tensors under <paramref name="prefix"/> (followed by one of <paramref name="separators"/>) with the prefix
    /// and separator removed from <c>Name</c> (<c>Original</c> keeps the full name); null or empty selects everything.
    /// </summary>
    public static List<(string Name, string Original, TensorData Tensor)> UnderPrefix(
        List<KeyValuePair<string, TensorData>> tensors, string? prefix, ReadOnlySpan<char> separators, Func<string, string> moduleOf)
    {
        if (string.IsNullOrEmpty(prefix))
            return tensors.Select(t => (t.Key, t.Key, t.Value)).ToList();
        string p = prefix.AsSpan().TrimEnd(separators).ToString();
        var selected = new List<(string, string, TensorData)>();
        foreach (KeyValuePair<string, TensorData> t in tensors)
        {
            if (IsUnder(t.Key, p, separators))
                selected.Add((t.Key[(p.Length + 1)..], t.Key, t.Value));
        }
        if (selected.Count == 0)
            throw PrefixNotFound(prefix, tensors.Select(t => t.Key), moduleOf);
        return selected;
    }

    /// <summary>Whether <paramref name="name"/> is <paramref name="prefix"/> (without trailing separator), a separator, and more.</summary>
    public static bool IsUnder(string name, string prefix, ReadOnlySpan<char> separators)
        => name.Length > prefix.Length + 1 && name.StartsWith(prefix, StringComparison.Ordinal) && separators.Contains(name[prefix.Length]);

    public static ImportException PrefixNotFound(string prefix, IEnumerable<string> names, Func<string, string> moduleOf)
        => ImportErrors.PrefixNotFound(prefix, names.Select(moduleOf).Distinct().Select(m => m.Length == 0 ? "(top level)" : m));

    /// <summary>"2-layer bidirectional LSTM with H = 17, P = 5", for messages.</summary>
    public static string Describe(RnnConfig c)
        => $"{c.NumLayers}-layer {(c.Bidirectional ? "bidirectional " : "")}{c.Kind.ToString().ToUpperInvariant()} with H = {c.HiddenSize}{(c.ProjSize > 0 ? $", P = {c.ProjSize}" : "")}";
}
