namespace FastRnn.Graph.Ops;

/// <summary>Concat along one axis: each input (outer, A_i, inner) is copied in blocks of A_i·inner.</summary>
internal sealed class ConcatKernel : GraphKernel
{
    private readonly int _outer;
    private readonly int[] _blocks; // A_i · inner per input
    private readonly int _total;

    public ConcatKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue y = graph.Values[Out(0)];
        long axis = node.Attributes.Int("axis");
        if (axis < 0 || axis >= y.Rank)
            throw Fail($"concatenates along axis {axis} into {y.ShapeText}");
        int a = (int)axis, sum = 0;
        foreach (int input in node.Inputs)
        {
            GraphValue x = graph.Values[input];
            if (x.Rank != y.Rank || Enumerable.Range(0, y.Rank).Any(k => k != a && x.Shape[k] != y.Shape[k]) || x.Type != y.Type)
                throw Fail($"concatenates {x.ShapeText} into {y.ShapeText} along axis {a}; the other axes must agree");
            sum += x.Shape[a];
        }
        if (sum != y.Shape[a])
            throw Fail($"concatenates {sum} along axis {a}; the output has {y.Shape[a]}");
        int inner = Shapes.Product(y.Shape.AsSpan(a + 1));
        _outer = Shapes.Product(y.Shape.AsSpan(0, a));
        _blocks = node.Inputs.Select(i => graph.Values[i].Shape[a] * inner).ToArray();
        _total = sum * inner;
    }

    public override void Run(GraphFrame frame, int index)
    {
        Span<float> y = frame.Out(Out(0));
        int at = 0;
        for (int i = 0; i < _blocks.Length; i++)
        {
            ReadOnlySpan<float> x = frame.In(In(i));
            int block = _blocks[i];
            for (int o = 0; o < _outer; o++)
                x.Slice(o * block, block).CopyTo(y.Slice(o * _total + at, block));
            at += block;
        }
    }

    public override string Describe() => $"{_blocks.Length} inputs";
}
