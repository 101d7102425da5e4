namespace FastRnn.Graph.Ops;

/// <summary>
/// Slice and Transpose: the output read through strides of the input. A table of each output row's input offset is
/// built here; a row whose last axis is contiguous in the input is one span copy, and an output that is one contiguous
/// run of the input (Silero's real and imaginary halves of the STFT) is a view and copies nothing.
/// </summary>
internal sealed class StridedCopyKernel : GraphKernel
{
    private readonly int[] _rows; // input offset of each output row
    private readonly int _width, _step;
    private readonly bool _int64; // token ids reordered before an embedding
    private readonly bool _view;

    /// <param name="node">The Slice or Transpose node.</param>
    /// <param name="graph">Its graph.</param>
    /// <param name="ownsOutput">Whether the output must have storage of its own (never a view).</param>
    /// <param name="inputLast">Whether the input (B, C, L) is stored channels-last, (B, L, C) (a transpose only; see <see cref="GraphLayout"/>).</param>
    public StridedCopyKernel(GraphNode node, GraphDefinition graph, bool ownsOutput, bool inputLast)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        int rank = x.Rank;
        if (rank == 0 || y.Rank != rank || x.Type != y.Type)
            throw Fail($"maps {x.ShapeText} to {y.ShapeText}; both need the same positive rank");
        if (inputLast && (rank != 3 || node.Op != GraphOp.Transpose))
            throw new InvalidOperationException($"node '{node.Name}' cannot read a channels-last input"); // unreachable: GraphLayout asks first
        // The input's strides per logical axis: row-major, or for (B, C, L) stored as (B, L, C): (L·C, 1, C).
        int[] own = inputLast ? [x.Shape[1] * x.Shape[2], 1, x.Shape[1]] : Shapes.Strides(x.Shape);
        var strides = new int[rank];
        int start = 0;
        if (node.Op == GraphOp.Transpose)
        {
            long[] perm = node.Attributes.Ints("perm");
            if (perm.Length != rank || perm.Order().Select((p, i) => p == i).Any(ok => !ok))
                throw Fail($"has perm {Shapes.Text(perm)}; expected a permutation of 0..{rank - 1}");
            for (int k = 0; k < rank; k++)
            {
                strides[k] = own[perm[k]];
                if (y.Shape[k] != x.Shape[perm[k]])
                    throw Fail($"writes {y.ShapeText}; transposing {x.ShapeText} by {Shapes.Text(perm)} gives another shape");
            }
        }
        else
        {
            long[] starts = node.Attributes.Ints("starts"), steps = node.Attributes.Ints("steps");
            if (starts.Length != rank || steps.Length != rank)
                throw Fail($"has {starts.Length} starts and {steps.Length} steps for rank {rank}");
            for (int k = 0; k < rank; k++)
            {
                long step = y.Shape[k] == 1 ? 1 : steps[k]; // one element: the step is never taken
                if (step == 0 || step < -x.Shape[k] || step > x.Shape[k] || starts[k] < 0 || starts[k] >= x.Shape[k]
                    || starts[k] + (y.Shape[k] - 1) * step is var last && (last < 0 || last >= x.Shape[k]))
                    throw Fail($"takes {y.Shape[k]} elements from {starts[k]} by {steps[k]} on axis {k} of {x.ShapeText}");
                strides[k] = (int)(own[k] * step);
                start += (int)(starts[k] * own[k]);
            }
        }
        _rows = Shapes.RowOffsets(y.Shape, strides, start);
        _width = y.Shape[^1];
        _step = strides[^1];
        _int64 = x.Type == GraphElementType.Int64;
        bool contiguous = _step == 1 || _width == 1;
        for (int r = 1; r < _rows.Length && contiguous; r++)
            contiguous = _rows[r] == _rows[0] + r * _width;
        _view = contiguous && !ownsOutput && !_int64;
    }

    public override bool IsView => _view;

    public override int ViewOffset => _view ? _rows[0] : 0;

    public override void Run(GraphFrame frame, int index)
    {
        if (_int64)
            Copy<long>(frame.Ints(In(0)), frame.Ints(Out(0)));
        else
            Copy(frame.In(In(0)), frame.Out(Out(0)));
    }

    private void Copy<T>(ReadOnlySpan<T> x, Span<T> y)
    {
        int width = _width, step = _step;
        for (int r = 0; r < _rows.Length; r++)
        {
            Span<T> row = y.Slice(r * width, width);
            int at = _rows[r];
            if (step == 1)
            {
                x.Slice(at, width).CopyTo(row);
                continue;
            }
            for (int c = 0; c < width; c++, at += step)
                row[c] = x[at];
        }
    }

    public override string Describe() => _view ? $"view at +{_rows[0]}" : $"{_rows.Length} rows of {_width}, step {_step}";
}
