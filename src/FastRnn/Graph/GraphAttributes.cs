namespace FastRnn.Graph;

/// <summary>
/// The attributes of one node, checked against its operator's schema when set: a missing required attribute, an
/// unknown one, or one of the wrong type is an error naming the node and the attribute.
/// </summary>
internal sealed class GraphAttributes
{
    private readonly Dictionary<string, long> _ints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _intArrays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _floats = new(StringComparer.Ordinal);

    public static GraphAttributes Empty => new();

    public GraphAttributes Set(string name, long value)
    {
        _ints[name] = value;
        return this;
    }

    public GraphAttributes Set(string name, long[] value)
    {
        _intArrays[name] = value;
        return this;
    }

    public GraphAttributes Set(string name, double value)
    {
        _floats[name] = value;
        return this;
    }

    public bool Has(string name) => _ints.ContainsKey(name) || _intArrays.ContainsKey(name) || _floats.ContainsKey(name);

    public long Int(string name, long fallback = 0) => _ints.TryGetValue(name, out long v) ? v : fallback;

    public long[] Ints(string name) => _intArrays.TryGetValue(name, out long[]? v) ? v : [];

    public double Float(string name, double fallback = 0) => _floats.TryGetValue(name, out double v) ? v : fallback;

    /// <summary>Every attribute that is set, in schema order, for writing and for display.</summary>
    public IEnumerable<(AttributeSchema Schema, object Value)> Entries(OpSchema schema)
    {
        foreach (AttributeSchema a in schema.Attributes)
        {
            object? value = a.Kind switch
            {
                AttributeKind.Int => _ints.TryGetValue(a.Name, out long i) ? i : null,
                AttributeKind.Ints => _intArrays.GetValueOrDefault(a.Name),
                _ => _floats.TryGetValue(a.Name, out double f) ? f : null,
            };
            if (value is not null)
                yield return (a, value);
        }
    }

    /// <summary>Checks the set against <paramref name="schema"/>; the message names <paramref name="node"/>.</summary>
    public void Validate(OpSchema schema, string node)
    {
        foreach (string name in _ints.Keys.Concat(_intArrays.Keys).Concat(_floats.Keys))
        {
            AttributeSchema? a = schema.Attributes.Cast<AttributeSchema?>().FirstOrDefault(x => x!.Value.Name == name);
            if (a is null)
                throw GraphErrors.Node(node, schema.Name, $"has attribute '{name}', which {schema.Name} does not take");
            bool typed = a.Value.Kind switch
            {
                AttributeKind.Int => _ints.ContainsKey(name),
                AttributeKind.Ints => _intArrays.ContainsKey(name),
                _ => _floats.ContainsKey(name),
            };
            if (!typed)
                throw GraphErrors.Node(node, schema.Name, $"has attribute '{name}' of the wrong type; expected {a.Value.Kind}");
        }
        foreach (AttributeSchema a in schema.Attributes.Where(a => a.Required && !Has(a.Name)))
            throw GraphErrors.Node(node, schema.Name, $"lacks attribute '{a.Name}'");
    }
}
