namespace FastRnn.Graph.Ops;

/// <summary>
/// ONNX Pad with constant pads: constant, reflect (mirror without repeating the edge, PyTorch's "reflect") or edge.
/// Every output index maps to an input index, or to the constant; the maps are built here, once.
/// </summary>
internal sealed class PadKernel : GraphKernel
{
    private readonly int[] _rowSource; // input offset of every output row, −1 for a row of padding
    private readonly int[] _columnSource; // input index along the last axis of every output column, −1 for padding
    private readonly float _value;

    public PadKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        long[] pads = node.Attributes.Ints("pads");
        long mode = node.Attributes.Int("mode");
        int rank = x.Rank;
        if (rank == 0 || pads.Length != 2 * rank || pads.Any(p => p < 0 || p > GraphValue.MaxDimension) || mode is < 0 or > 2)
            throw Fail($"has pads {Shapes.Text(pads)} and mode {mode} for {x.ShapeText}; expected {2 * rank} non-negative pads and mode 0, 1 or 2");
        int[] expected = x.Shape.Select((d, i) => (int)(d + pads[i] + pads[i + rank])).ToArray();
        if (!y.Shape.AsSpan().SequenceEqual(expected))
            throw Fail($"writes {y.ShapeText}; padding gives {Shapes.Text(expected)}");
        var maps = new int[rank][];
        for (int k = 0; k < rank; k++)
        {
            int size = x.Shape[k], begin = (int)pads[k];
            if (mode == 1 && (pads[k] >= size || pads[k + rank] >= size))
                throw Fail($"reflects {pads[k]} and {pads[k + rank]} values on an axis of {size}; reflect needs fewer than the axis length");
            maps[k] = new int[expected[k]];
            for (int o = 0; o < expected[k]; o++)
            {
                int i = o - begin;
                maps[k][o] = (uint)i < (uint)size ? i : mode switch
                {
                    0 => -1,
                    1 => i < 0 ? -i : 2 * (size - 1) - i,
                    _ => Math.Clamp(i, 0, size - 1),
                };
            }
        }
        _columnSource = maps[rank - 1];
        int[] strides = Shapes.Strides(x.Shape);
        int rows = Shapes.Product(expected.AsSpan(0, rank - 1));
        _rowSource = new int[rows];
        var index = new int[rank - 1];
        for (int r = 0; r < rows; r++)
        {
            int offset = 0;
            for (int k = 0; k < rank - 1 && offset >= 0; k++)
                offset = maps[k][index[k]] < 0 ? -1 : offset + maps[k][index[k]] * strides[k];
            _rowSource[r] = offset;
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++index[k] < expected[k])
                    break;
                index[k] = 0;
            }
        }
        _value = (float)node.Attributes.Float("value");
    }

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        int width = _columnSource.Length;
        for (int r = 0; r < _rowSource.Length; r++)
        {
            Span<float> row = y.Slice(r * width, width);
            int source = _rowSource[r];
            if (source < 0)
            {
                row.Fill(_value);
                continue;
            }
            for (int c = 0; c < width; c++)
                row[c] = _columnSource[c] < 0 ? _value : x[source + _columnSource[c]];
        }
    }

    public override string Describe() => $"{_rowSource.Length} rows to {_columnSource.Length}";
}
