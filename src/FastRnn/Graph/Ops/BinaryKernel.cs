using System.Numerics.Tensors;

namespace FastRnn.Graph.Ops;

/// <summary>
/// Add, Sub, Mul, Div, Pow with NumPy broadcasting. Equal shapes and a scalar operand are one TensorPrimitives call;
/// anything else is cut into rows of the output's trailing axes, each row one TensorPrimitives call whose operands are
/// a row of a or b or one of their elements (the offset tables are built here, not per call).
/// </summary>
internal sealed class BinaryKernel : GraphKernel
{
    private readonly int _inner;           // elements per row
    private readonly bool _aRow, _bRow;    // whether a (b) varies along the row; else one element per row
    private readonly int[] _aOffsets, _bOffsets;
    private readonly bool _squareExponent; // Pow(x, 2), Silero's magnitude: exactly x·x, as ONNX Runtime computes it

    public BinaryKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue a = graph.Values[In(0)], b = graph.Values[In(1)], y = graph.Values[Out(0)];
        int[]? shape = Shapes.Broadcast(a.Shape, b.Shape);
        if (shape is null || !shape.AsSpan().SequenceEqual(y.Shape))
            throw Fail($"combines {a.ShapeText} and {b.ShapeText} into {y.ShapeText}; they broadcast to {(shape is null ? "nothing" : Shapes.Text(shape))}");
        if (a.Type != GraphElementType.Float32 || b.Type != GraphElementType.Float32)
            throw Fail("computes on int64 values; element-wise arithmetic is float32");
        _squareExponent = node.Op == GraphOp.Pow && graph.Constants.TryGetValue(In(1), out float[]? e) && e.All(v => v == 2f);

        int[] sa = Shapes.BroadcastStrides(a.Shape, shape), sb = Shapes.BroadcastStrides(b.Shape, shape);
        // Merge trailing axes into one row while each operand either runs contiguously through all of them or stays
        // on one element (size-1 axes fit either way).
        int first = shape.Length, inner = 1;
        bool? aRow = null, bRow = null;
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            if (shape[k] == 1)
            {
                first = k;
                continue;
            }
            bool ar = sa[k] != 0, br = sb[k] != 0;
            if ((aRow is { } ax && ax != ar) || (bRow is { } bx && bx != br) || (ar && sa[k] != inner) || (br && sb[k] != inner))
                break;
            (aRow, bRow) = (ar, br);
            inner *= shape[k];
            first = k;
        }
        _inner = inner;
        _aRow = aRow ?? true;
        _bRow = bRow ?? true;
        int[] outer = [.. shape[..first], 1];
        int[] outerA = [.. sa[..first], 0], outerB = [.. sb[..first], 0];
        _aOffsets = Shapes.RowOffsets(outer, outerA);
        _bOffsets = Shapes.RowOffsets(outer, outerB);
    }

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> a = frame.In(In(0)), b = frame.In(In(1));
        Span<float> y = frame.Out(Out(0));
        int n = _inner;
        for (int r = 0; r < _aOffsets.Length; r++)
        {
            Span<float> row = y.Slice(r * n, n);
            int oa = _aOffsets[r], ob = _bOffsets[r];
            if (_aRow && _bRow)
                Apply(a.Slice(oa, n), b.Slice(ob, n), row);
            else if (_aRow)
                Apply(a.Slice(oa, n), b[ob], row);
            else if (_bRow)
                Apply(a[oa], b.Slice(ob, n), row);
            else
                Apply(a.Slice(oa, 1), b[ob], row[..1]);
        }
        if (!_aRow && !_bRow && n > 1)
        {
            for (int r = 0; r < _aOffsets.Length; r++)
                y.Slice(r * n + 1, n - 1).Fill(y[r * n]);
        }
    }

    private void Apply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (Node.Op)
        {
            case GraphOp.Add: TensorPrimitives.Add(a, b, y); break;
            case GraphOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case GraphOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case GraphOp.Div: TensorPrimitives.Divide(a, b, y); break;
            default:
                if (_squareExponent)
                    TensorPrimitives.Multiply(a, a, y);
                else
                    TensorPrimitives.Pow(a, b, y);
                break;
        }
    }

    private void Apply(ReadOnlySpan<float> a, float b, Span<float> y)
    {
        switch (Node.Op)
        {
            case GraphOp.Add: TensorPrimitives.Add(a, b, y); break;
            case GraphOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case GraphOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case GraphOp.Div: TensorPrimitives.Divide(a, b, y); break;
            default:
                if (b == 2f)
                    TensorPrimitives.Multiply(a, a, y);
                else
                    TensorPrimitives.Pow(a, b, y);
                break;
        }
    }

    private void Apply(float a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (Node.Op)
        {
            case GraphOp.Add: TensorPrimitives.Add(b, a, y); break;
            case GraphOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case GraphOp.Mul: TensorPrimitives.Multiply(b, a, y); break;
            case GraphOp.Div: TensorPrimitives.Divide(a, b, y); break;
            default: TensorPrimitives.Pow(a, b, y); break;
        }
    }

    public override string Describe() => $"{_aOffsets.Length} rows of {_inner}";
}
