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
        // The operator is a type argument, resolved by one switch per run rather than per row.
        switch (Node.Op)
        {
            case GraphOp.Add: Rows<AddOp>(frame); break;
            case GraphOp.Sub: Rows<SubOp>(frame); break;
            case GraphOp.Mul: Rows<MulOp>(frame); break;
            case GraphOp.Div: Rows<DivOp>(frame); break;
            default:
                if (_squareExponent)
                    Rows<SquareOp>(frame);
                else
                    Rows<PowOp>(frame);
                break;
        }
    }

    private void Rows<TOp>(GraphFrame frame)
        where TOp : struct, IBinaryOp
    {
        ReadOnlySpan<float> a = frame.In(In(0)), b = frame.In(In(1));
        Span<float> y = frame.Out(Out(0));
        int n = _inner;
        for (int r = 0; r < _aOffsets.Length; r++)
        {
            Span<float> row = y.Slice(r * n, n);
            int oa = _aOffsets[r], ob = _bOffsets[r];
            if (_aRow && _bRow)
                TOp.Invoke(a.Slice(oa, n), b.Slice(ob, n), row);
            else if (_aRow)
                TOp.Invoke(a.Slice(oa, n), b[ob], row);
            else if (_bRow)
                TOp.Invoke(a[oa], b.Slice(ob, n), row);
            else
                TOp.Invoke(a.Slice(oa, 1), b[ob], row[..1]);
        }
        if (!_aRow && !_bRow && n > 1)
        {
            for (int r = 0; r < _aOffsets.Length; r++)
                y.Slice(r * n + 1, n - 1).Fill(y[r * n]);
        }
    }

    /// <summary>One operator over a row: both operands rows, or one of them a single element.</summary>
    private interface IBinaryOp
    {
        static abstract void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

        static abstract void Invoke(ReadOnlySpan<float> a, float b, Span<float> y);

        static abstract void Invoke(float a, ReadOnlySpan<float> b, Span<float> y);
    }

    private readonly struct AddOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);

        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Add(a, b, y);

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(b, a, y);
    }

    private readonly struct SubOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);

        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
    }

    private readonly struct MulOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);

        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(b, a, y);
    }

    private readonly struct DivOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);

        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Divide(a, b, y);

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
    }

    private readonly struct PowOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);

        // x^2 by a scalar exponent is exactly x·x, as ONNX Runtime computes it.
        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y)
        {
            if (b == 2f)
                TensorPrimitives.Multiply(a, a, y);
            else
                TensorPrimitives.Pow(a, b, y);
        }

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
    }

    /// <summary>Pow by a constant exponent of 2 everywhere (Silero's magnitude): x·x.</summary>
    private readonly struct SquareOp : IBinaryOp
    {
        public static void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, a, y);

        public static void Invoke(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Multiply(a, a, y);

        public static void Invoke(float a, ReadOnlySpan<float> b, Span<float> y) => y.Fill(a * a);
    }

    public override string Describe() => $"{_aOffsets.Length} rows of {_inner}";
}
