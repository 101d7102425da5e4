using System.Globalization;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace FastRnn.Import;

/// <summary>Typed, checked access to a node's attributes; a wrong type or an unknown name is an error naming both.</summary>
internal sealed class OnnxAttributes
{
    private readonly string _source;
    private readonly NodeProto _node;
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);

    public OnnxAttributes(string source, NodeProto node, IReadOnlyCollection<string> known)
    {
        _source = source;
        _node = node;
        foreach (AttributeProto a in node.Attribute)
        {
            if (a.RefAttrName.Length > 0)
                throw OnnxErrors.Node(source, node, $"takes attribute '{a.Name}' from an enclosing function, which FastRnn does not evaluate");
            if (!known.Contains(a.Name))
                throw OnnxErrors.Node(source, node, $"has attribute '{a.Name}', which {node.OpType} does not define (known: {string.Join(", ", known)})");
            if (!_byName.TryAdd(a.Name, a))
                throw OnnxErrors.Node(source, node, $"has attribute '{a.Name}' twice");
        }
    }

    public bool Has(string name) => _byName.ContainsKey(name);

    public long? Int(string name)
        => Get(name, AttributeType.Int, "an integer") is { } a ? a.I : null;

    public float? Float(string name)
        => Get(name, AttributeType.Float, "a float") is { } a ? a.F : null;

    public string? String(string name)
        => Get(name, AttributeType.String, "a string") is { } a ? a.S.ToStringUtf8() : null;

    public long[]? Ints(string name)
        => Get(name, AttributeType.Ints, "a list of integers") is { } a ? a.Ints.ToArray() : null;

    public float[]? Floats(string name)
        => Get(name, AttributeType.Floats, "a list of floats") is { } a ? a.Floats.ToArray() : null;

    public string[]? Strings(string name)
        => Get(name, AttributeType.Strings, "a list of strings") is { } a ? a.Strings.Select(s => s.ToStringUtf8()).ToArray() : null;

    public TensorProto? Tensor(string name)
        => Get(name, AttributeType.Tensor, "a tensor") is { } a ? a.T : null;

    /// <summary>An int attribute that must be one of <paramref name="allowed"/>, or <paramref name="fallback"/> when absent.</summary>
    public long Choice(string name, long fallback, params long[] allowed)
    {
        long value = Int(name) ?? fallback;
        if (!allowed.Contains(value))
            throw OnnxErrors.Attribute(_source, _node, name, value.ToString(CultureInfo.InvariantCulture), string.Join(" or ", allowed));
        return value;
    }

    private AttributeProto? Get(string name, AttributeType type, string what)
    {
        if (!_byName.TryGetValue(name, out AttributeProto? a))
            return null;
        // Writers before IR version 2 left the type unset; the field that holds the value then tells.
        if (a.Type != type && a.Type != AttributeType.Undefined)
            throw OnnxErrors.Node(_source, _node, $"has attribute '{name}' of type {a.Type}; expected {what}");
        return a;
    }
}
