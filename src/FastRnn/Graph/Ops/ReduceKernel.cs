using System.Numerics.Tensors;

namespace FastRnn.Graph.Ops;

/// <summary>
/// ReduceMean, ReduceSum or ReduceMax over a run of adjacent axes, x (outer, R, inner) → (outer, inner) with or
/// without the reduced axes kept as 1. Contiguous rows (inner = 1) are one TensorPrimitives call; otherwise rows of
/// inner accumulate.
/// </summary>
internal sealed class ReduceKernel : GraphKernel
{
    private readonly int _outer, _size, _inner;

    public ReduceKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        long[] axes = node.Attributes.Ints("axes");
        bool keep = node.Attributes.Int("keepdims") != 0;
        if (axes.Length == 0 || axes.Any(a => a < 0 || a >= x.Rank) || axes.Distinct().Count() != axes.Length)
            throw Fail($"reduces axes {Shapes.Text(axes)} of {x.ShapeText}");
        long[] sorted = [.. axes.Order()];
        if (sorted[^1] - sorted[0] != sorted.Length - 1)
            throw Fail($"reduces axes {Shapes.Text(axes)}, which are not adjacent; FastRnn reduces one run of axes");
        int first = (int)sorted[0], last = (int)sorted[^1];
        int[] expected = keep
            ? x.Shape.Select((d, i) => i >= first && i <= last ? 1 : d).ToArray()
            : x.Shape.Where((_, i) => i < first || i > last).ToArray();
        if (!y.Shape.AsSpan().SequenceEqual(expected))
            throw Fail($"writes {y.ShapeText}; the reduction gives {Shapes.Text(expected)}");
        _outer = Shapes.Product(x.Shape.AsSpan(0, first));
        _size = Shapes.Product(x.Shape.AsSpan(first, last - first + 1));
        _inner = Shapes.Product(x.Shape.AsSpan(last + 1));
    }

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        bool max = Node.Op == GraphOp.ReduceMax;
        for (int o = 0; o < _outer; o++)
        {
            ReadOnlySpan<float> block = x.Slice(o * _size * _inner, _size * _inner);
            if (_inner == 1)
            {
                y[o] = max ? TensorPrimitives.Max(block) : TensorPrimitives.Sum(block);
            }
            else
            {
                Span<float> row = y.Slice(o * _inner, _inner);
                block[.._inner].CopyTo(row);
                for (int r = 1; r < _size; r++)
                {
                    if (max)
                        TensorPrimitives.Max(row, block.Slice(r * _inner, _inner), row);
                    else
                        TensorPrimitives.Add(row, block.Slice(r * _inner, _inner), row);
                }
            }
        }
        if (Node.Op == GraphOp.ReduceMean)
            TensorPrimitives.Divide(y, _size, y);
    }

    public override string Describe() => $"{_outer} x {_size} x {_inner}";
}
