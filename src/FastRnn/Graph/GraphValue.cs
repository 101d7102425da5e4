namespace FastRnn.Graph;

/// <summary>One tensor of a graph: an input, a constant, or a node's output. Shapes are fixed.</summary>
/// <param name="Name">Unique within the graph.</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
internal sealed record GraphValue(string Name, GraphElementType Type, int[] Shape)
{
    /// <summary>Largest dimension accepted; keeps every product below overflow.</summary>
    public const int MaxDimension = 1 << 24;

    /// <summary>
    /// Most elements in one value, and (<see cref="MaxTotalElements"/>) in all computed values together: a small file
    /// cannot make a session allocate more than 512 MiB of arena.
    /// </summary>
    public const int MaxElements = 1 << 26;

    /// <summary>Most elements in all inputs and computed values of a graph together.</summary>
    public const long MaxTotalElements = 1L << 27;

    public int Length => Shape.Aggregate(1, (p, d) => p * d);

    public int Rank => Shape.Length;

    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    public GraphTensorInfo Info => new(Name, Type, Shape);
}
