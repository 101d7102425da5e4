namespace FastRnn.Graph.Ops;

/// <summary>
/// Constant indices along one axis of a computed tensor (ONNX Gather with constant indices, e.g. <c>y[-1]</c>):
/// data (outer, A, inner) → (outer, indices…, inner).
/// </summary>
internal sealed class GatherKernel : GraphKernel
{
    private readonly int[] _indices;
    private readonly int _outer, _inner;
    private readonly bool _view;

    public GatherKernel(GraphNode node, GraphDefinition graph, bool ownsOutput)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        long axis = node.Attributes.Int("axis");
        if (axis < 0 || axis >= x.Rank)
            throw Fail($"gathers along axis {axis} of {x.ShapeText}");
        int a = (int)axis, size = x.Shape[a];
        long[] indices = node.Attributes.Ints("indices");
        long[] shape = node.Attributes.Ints("indices_shape");
        if (indices.Any(i => i < 0 || i >= size) || shape.Any(d => d < 1 || d > GraphValue.MaxDimension) || shape.Aggregate(1L, (p, d) => p * d) != indices.Length)
            throw Fail($"has indices {Shapes.Text(indices)} of shape {Shapes.Text(shape)} for an axis of {size}");
        int[] expected = [.. x.Shape[..a], .. shape.Select(d => (int)d), .. x.Shape[(a + 1)..]];
        if (!y.Shape.AsSpan().SequenceEqual(expected))
            throw Fail($"writes {y.ShapeText}; the gather gives {Shapes.Text(expected)}");
        _indices = indices.Select(i => (int)i).ToArray();
        _outer = Shapes.Product(x.Shape.AsSpan(0, a));
        _inner = Shapes.Product(x.Shape.AsSpan(a + 1));
        // Consecutive indices on the outermost non-unit axis pick one contiguous run (state[0] of Silero's (2, B, 128)).
        _view = !ownsOutput && x.Type == GraphElementType.Float32 && _outer == 1 && _indices.Select((i, j) => i == _indices[0] + j).All(ok => ok);
    }

    public override bool IsView => _view;

    public override int ViewOffset => _view ? _indices[0] * _inner : 0;

    private int Size(GraphFrame frame) => frame.In(In(0)).Length / (_outer * _inner);

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        int size = Size(frame), n = _indices.Length;
        for (int o = 0; o < _outer; o++)
        {
            for (int j = 0; j < n; j++)
                x.Slice((o * size + _indices[j]) * _inner, _inner).CopyTo(y.Slice((o * n + j) * _inner, _inner));
        }
    }

    public override string Describe() => _view ? $"view at +{_indices[0] * _inner}" : $"{_indices.Length} of axis, inner {_inner}";
}
