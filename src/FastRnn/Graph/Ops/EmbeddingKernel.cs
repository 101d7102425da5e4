namespace FastRnn.Graph.Ops;

/// <summary>
/// Rows of a constant table picked by int64 ids (ONNX Gather on axis 0 of an initializer, PyTorch
/// <c>nn.Embedding</c>): table (V, D), ids (…) → (…, D). An id outside 0..V−1 is an error naming it.
/// </summary>
internal sealed class EmbeddingKernel : GraphKernel
{
    private readonly float[] _table; // (V, D)
    private readonly int _rows, _width;

    public EmbeddingKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue table = graph.Values[In(0)], ids = graph.Values[In(1)], y = graph.Values[Out(0)];
        if (!graph.Constants.TryGetValue(In(0), out float[]? data) || table.Rank != 2)
            throw Fail($"needs a constant table (V, D); '{table.Name}' is {table.ShapeText}");
        if (ids.Type != GraphElementType.Int64)
            throw Fail($"reads ids '{ids.Name}' of type {ids.Type}; ids are int64");
        (_rows, _width) = (table.Shape[0], table.Shape[1]);
        if (!y.Shape.AsSpan().SequenceEqual([.. ids.Shape, _width]))
            throw Fail($"writes {y.ShapeText}; expected the ids' shape {ids.ShapeText} followed by {_width}");
        _table = data;
    }

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<long> ids = frame.Ints(In(1));
        Span<float> y = frame.Out(Out(0));
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i];
            if ((ulong)id >= (ulong)_rows)
                throw GraphErrors.TokenId(Node.Name, id, _rows);
            _table.AsSpan((int)id * _width, _width).CopyTo(y.Slice(i * _width, _width));
        }
    }

    public override string Describe() => $"({_rows}, {_width})";
}
