namespace FastRnn.Graph;

/// <summary>The one place graph errors are made, so messages name the node, value or input and what was expected.</summary>
internal static class GraphErrors
{
    /// <summary>A graph definition is inconsistent (a model file, or an importer's output).</summary>
    public static ArgumentException Node(string node, string op, string problem)
        => new($"graph node '{node}' ({op}) {problem}");

    public static ArgumentException Value(string value, string problem)
        => new($"graph value '{value}' {problem}");

    public static ArgumentException Graph(string problem) => new($"graph: {problem}");

    /// <summary>A caller passed a span of the wrong length for a named input or output.</summary>
    public static ArgumentException Length(string what, string name, int actual, int expected, string shape)
        => new($"{what} '{name}' has {actual} elements; expected {expected} = {shape}", name);

    public static ArgumentException UnknownName(string what, string name, IEnumerable<string> known)
        => new($"the graph has no {what} named '{name}' (it has: {string.Join(", ", known)})", name);

    public static ArgumentOutOfRangeException Index(string what, int index, int count)
        => new(nameof(index), index, $"{what} index must be in 0..{count - 1}");

    public static ArgumentException ElementType(string name, GraphElementType expected)
        => new($"input '{name}' holds {expected}; pass a span of that type", name);

    public static ArgumentOutOfRangeException TokenId(string node, long id, int rows)
        => new("indices", id, $"graph node '{node}' (embedding): index {id} is outside 0..{rows - 1}");
}
