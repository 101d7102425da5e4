namespace FastRnn.Import;

/// <summary>
/// Resolves .frnn tensor names (<c>encoder.weight_ih_l0</c>) to the user's state-dict names through the config's
/// <c>tensors</c> map, and keeps track of which state-dict tensors were used.
/// </summary>
/// <remarks>
/// A key equal to the .frnn name maps it to the value as is. Otherwise the longest key that is a module prefix of the
/// name (<c>encoder</c> for <c>encoder.weight_ih_l0</c>, <c>attention.query</c> for <c>attention.query.weight</c>;
/// the empty key for every name) maps it to the value, a dot, and the rest of the name (just the rest when the value
/// is empty).
/// </remarks>
internal sealed class TensorMapping
{
    private readonly Seq2SeqConversionConfig _config;
    private readonly Dictionary<string, TensorData> _state;
    private readonly IReadOnlyList<string> _allNames;
    private readonly Dictionary<string, string> _exact = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <param name="config">The parsed config.</param>
    /// <param name="state">The state-dict tensors that were read (every one not ignored).</param>
    /// <param name="allNames">Every tensor name in the file, ignored ones included, in file order.</param>
    public TensorMapping(Seq2SeqConversionConfig config, IEnumerable<KeyValuePair<string, TensorData>> state, IReadOnlyList<string> allNames)
    {
        _config = config;
        _state = new Dictionary<string, TensorData>(state, StringComparer.Ordinal);
        _allNames = allNames;
        foreach (KeyValuePair<string, string> entry in config.Tensors)
            _exact[entry.Key] = entry.Value;
    }

    /// <summary>The state-dict name of <paramref name="name"/> and the config key that mapped it; null when no key applies.</summary>
    public (string StateName, string Key)? Resolve(string name)
    {
        if (_exact.TryGetValue(name, out string? exact))
            return (exact, name);
        for (int end = name.LastIndexOf('.'); ; end = name.LastIndexOf('.', end - 1))
        {
            string prefix = end < 0 ? "" : name[..end];
            if (_exact.TryGetValue(prefix, out string? value))
            {
                string rest = end < 0 ? name : name[(end + 1)..];
                return (value.Length == 0 ? rest : $"{value}.{rest}", prefix);
            }
            if (end <= 0)
                return null;
        }
    }

    /// <summary>Whether <paramref name="name"/> is mapped to a tensor the state dict has (for inferring layers and directions).</summary>
    public bool Exists(string name) => Resolve(name) is { } r && _state.ContainsKey(r.StateName);

    /// <summary>"'encoder.weight_hh_l0' (state dict 'enc.rnn.weight_hh_l0')", for messages.</summary>
    public string Describe(string name)
        => Resolve(name) is { } r && r.StateName != name ? $"'{name}' (state dict '{r.StateName}')" : $"'{name}'";

    /// <summary>The tensor <paramref name="name"/> is mapped to, marked as used.</summary>
    /// <param name="name">The .frnn name.</param>
    /// <param name="why">Why the model has it, for the error when it is missing.</param>
    public TensorData Get(string name, string why)
    {
        if (Resolve(name) is not { } r)
        {
            var prefixes = new List<string>();
            for (int end = name.LastIndexOf('.'); end > 0; end = name.LastIndexOf('.', end - 1))
                prefixes.Add($"\"{name[..end]}\"");
            string hint = prefixes.Count == 0 ? "" : $", or a module prefix such as {string.Join(" or ", prefixes)}";
            throw Seq2SeqErrors.Config(_config.File, $"'tensors' has no mapping for '{name}' ({why}); add \"{name}\": \"<state-dict name>\"{hint}");
        }
        (string stateName, string key) = r;
        string via = $"\"{key}\": \"{_exact[key]}\"";
        if (_state.TryGetValue(stateName, out TensorData? tensor))
        {
            _used.Add(stateName);
            return tensor;
        }
        if (_config.IgnoredBy(stateName) is { } ignore)
            throw Seq2SeqErrors.Config(_config.File, $"tensor '{name}' is mapped to '{stateName}' (by {via}), which 'ignore' lists (\"{ignore}\")");
        throw Seq2SeqErrors.Model($"tensor '{name}' ({why}) is mapped to '{stateName}' (by {via} in {_config.File}), which is not in the state dict; {Nearby(stateName)}");
    }

    /// <summary>A matrix <paramref name="name"/> (rank checked), marked as used.</summary>
    public TensorData Matrix(string name, string layout, string why)
    {
        TensorData t = Get(name, why);
        if (t.Shape.Length != 2)
            throw Seq2SeqErrors.Model($"tensor {Describe(name)} has shape {t.ShapeText}; expected a matrix {layout}");
        return t;
    }

    /// <summary>
    /// Every config key must map at least one of <paramref name="expected"/>, every <c>ignore</c> entry must match a
    /// tensor, and every state-dict tensor not ignored must have been used.
    /// </summary>
    public void CheckComplete(IReadOnlyList<string> expected, string architecture)
    {
        var keysUsed = new HashSet<string>(expected.Select(n => Resolve(n)!.Value.Key), StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> entry in _config.Tensors)
        {
            if (!keysUsed.Contains(entry.Key))
            {
                string shown = entry.Key.Length == 0 ? "\"\"" : $"\"{entry.Key}\"";
                throw Seq2SeqErrors.Config(_config.File, $"'tensors' entry {shown} maps no tensor of this model ({architecture}); its tensors are {Seq2SeqErrors.List(expected)}");
            }
        }
        foreach (string ignore in _config.Ignore)
        {
            if (!_allNames.Any(n => n == ignore || NamedTensors.IsUnder(n, ignore, ".")))
                throw Seq2SeqErrors.Config(_config.File, $"'ignore' entry \"{ignore}\" matches no tensor of the state dict");
        }
        string[] unused = _allNames.Where(n => _state.ContainsKey(n) && !_used.Contains(n)).ToArray();
        if (unused.Length > 0)
        {
            throw Seq2SeqErrors.Model($"the state dict has {unused.Length} tensor(s) the config does not map: {Seq2SeqErrors.List(unused)}; "
                + $"map them under 'tensors' or, if they are not part of the model, list them or their module under 'ignore' in {_config.File}");
        }
    }

    /// <summary>What the state dict has near <paramref name="stateName"/>: the tensors of the closest module that exists.</summary>
    private string Nearby(string stateName)
    {
        for (int end = stateName.LastIndexOf('.'); end > 0; end = stateName.LastIndexOf('.', end - 1))
        {
            string module = stateName[..end];
            string[] under = _allNames.Where(n => NamedTensors.IsUnder(n, module, ".")).ToArray();
            if (under.Length > 0)
                return $"under '{module}' it has {Seq2SeqErrors.List(under)}";
        }
        return $"it has {Seq2SeqErrors.List(_allNames)}";
    }
}
