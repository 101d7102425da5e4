using System.Numerics.Tensors;

namespace FastRnn.Graph.Ops;

/// <summary>
/// Softmax or LogSoftmax along one axis (ONNX opset 13 semantics), x (outer, A, inner) → same shape. Rows along the
/// axis are contiguous when inner = 1; otherwise each is gathered into scratch, normalised, and scattered back.
/// </summary>
internal sealed class SoftmaxKernel : GraphKernel
{
    private readonly int _outer, _size, _inner;

    public SoftmaxKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        long axis = node.Attributes.Int("axis");
        if (axis < 0 || axis >= x.Rank || !x.Shape.AsSpan().SequenceEqual(y.Shape))
            throw Fail($"normalises axis {axis} of {x.ShapeText} into {y.ShapeText}");
        _outer = Shapes.Product(x.Shape.AsSpan(0, (int)axis));
        _size = x.Shape[axis];
        _inner = Shapes.Product(x.Shape.AsSpan((int)axis + 1));
    }

    public override int ScratchLength => 2 * _size;

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        Span<float> scratch = frame.Scratch(index);
        Span<float> row = scratch[.._size], work = scratch.Slice(_size, _size);
        bool log = Node.Op == GraphOp.LogSoftmax;
        for (int o = 0; o < _outer; o++)
        {
            for (int i = 0; i < _inner; i++)
            {
                int start = o * _size * _inner + i;
                if (_inner == 1)
                {
                    Normalise(x.Slice(start, _size), y.Slice(start, _size), work, log);
                    continue;
                }
                for (int k = 0; k < _size; k++)
                    row[k] = x[start + k * _inner];
                Normalise(row, row, work, log);
                for (int k = 0; k < _size; k++)
                    y[start + k * _inner] = row[k];
            }
        }
    }

    // Subtracting the maximum first keeps exp from overflowing; log-softmax is x − max − log Σ exp(x − max).
    private static void Normalise(ReadOnlySpan<float> x, Span<float> y, Span<float> work, bool log)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, work);
        float sum = TensorPrimitives.Sum(work);
        if (log)
            TensorPrimitives.Subtract(y, MathF.Log(sum), y);
        else
            TensorPrimitives.Divide(work, sum, y);
    }

    public override string Describe() => $"axis of {_size}";
}
