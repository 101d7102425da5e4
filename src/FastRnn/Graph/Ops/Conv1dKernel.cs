using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastRnn.Kernels;

namespace FastRnn.Graph.Ops;

/// <summary>
/// 1-D convolution (ONNX Conv on (B, C, L), PyTorch <c>nn.Conv1d</c>) with stride, padding, dilation and groups,
/// lowered to matrix products: x (B, C, L), weight (O, C/g, K), bias (O) → (B, O, L_out).
/// </summary>
/// <remarks>
/// With at least <see cref="MinTapChannels"/> channels per group, the input is transposed once per batch item and group
/// to (L, C/g), so that the C/g values at one position are one row. Tap k then contributes W_k (O/g, C/g) times the rows t·stride + k·dilation − padBegin for every output position
/// t whose window reaches inside the input — rows a constant stride apart, which the packed product reads in place —
/// accumulated into (L_out, O/g) that starts as the bias; positions whose tap falls in the padding simply get nothing
/// from it. K products over the transposed input replace an im2col buffer K times its size, and a transpose writes
/// (O/g, L_out). With fewer channels (an STFT as a convolution: one channel, hundreds of taps) each tap's product would
/// be too thin, so the input goes through a column buffer instead — for every output position the C/g·K values its
/// window sees, in the order of a weight row — and one product over it gives (L_out, O/g).
/// </remarks>
internal sealed class Conv1dKernel : GraphKernel
{
    /// <summary>Channels per group from which each tap is its own product; below it, one product over a column buffer.</summary>
    internal const int MinTapChannels = 16;

    private readonly PackedMatrix[] _weights; // per tap [g · K + k]: W_k (O/g, C/g); or per group [g]: (O/g, C/g·K) over columns; empty when depthwise
    private readonly bool _perTap;
    private readonly float[] _taps;           // (O, K), depthwise only
    private readonly float[] _bias;           // (O)
    private readonly float[] _tapRows;        // (K, O), depthwise over a channels-last input: tap k of every channel, one row
    private readonly int _batch, _channels, _length, _outChannels, _outLength, _kernel, _stride, _dilation, _padBegin, _groups;
    private readonly bool _inputLast, _outputLast; // stored (B, L, C) rather than (B, C, L) (see GraphLayout)
    private readonly int _fullTap;                 // the first tap whose input is inside x at every output position, or −1

    /// <param name="node">The Conv node.</param>
    /// <param name="graph">Its graph.</param>
    /// <param name="inputLast">Whether the input is stored channels-last (only where <see cref="ReadsChannelsLast"/>).</param>
    /// <param name="outputLast">Whether the output is to be stored channels-last.</param>
    public Conv1dKernel(GraphNode node, GraphDefinition graph, bool inputLast, bool outputLast)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], w = graph.Values[In(1)], y = graph.Values[Out(0)];
        if (!graph.Constants.TryGetValue(In(1), out float[]? weight) || w.Rank != 3)
            throw Fail($"needs a constant weight (O, C/groups, K); '{w.Name}' is {w.ShapeText}");
        if (x.Rank != 3)
            throw Fail($"reads {x.ShapeText}; Conv1d takes (B, C, L)");
        GraphAttributes a = node.Attributes;
        long[] pads = a.Ints("pads");
        long stride = a.Int("stride"), dilation = a.Int("dilation"), groups = a.Int("groups");
        if (stride is < 1 or > GraphValue.MaxDimension || dilation is < 1 or > GraphValue.MaxDimension || groups is < 1 or > GraphValue.MaxDimension)
            throw Fail($"has stride {stride}, dilation {dilation}, groups {groups}; each must be in 1..{GraphValue.MaxDimension}");
        (_stride, _dilation, _groups) = ((int)stride, (int)dilation, (int)groups);
        if (pads.Length != 2 || pads[0] < 0 || pads[1] < 0 || pads[0] > GraphValue.MaxDimension || pads[1] > GraphValue.MaxDimension)
            throw Fail($"has stride {_stride}, dilation {_dilation}, groups {_groups}, pads {Shapes.Text(pads)}; expected positive stride, dilation and groups and two non-negative pads");
        (_batch, _channels, _length) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        (_outChannels, _kernel) = (w.Shape[0], w.Shape[2]);
        if (_channels % _groups != 0 || _outChannels % _groups != 0 || w.Shape[1] != _channels / _groups)
            throw Fail($"has weight {w.ShapeText} for input {x.ShapeText} and {_groups} groups; expected (O, C/groups, K) with C and O divisible by groups");
        _padBegin = (int)pads[0];
        long span = (long)_dilation * (_kernel - 1) + 1;
        long padded = _length + pads[0] + pads[1];
        _outLength = padded < span ? 0 : (int)((padded - span) / _stride + 1);
        if (_outLength < 1 || !y.Shape.AsSpan().SequenceEqual([_batch, _outChannels, _outLength]))
            throw Fail($"writes {y.ShapeText}; the convolution gives [{_batch}, {_outChannels}, {_outLength}]");

        int og = _outChannels / _groups;
        long buffer = (long)_length * (_channels / _groups) + (long)_outLength * (_channels / _groups * _kernel + og); // either path's
        if (buffer > GraphValue.MaxElements)
            throw Fail($"needs a buffer of {buffer} floats; at most {GraphValue.MaxElements}");
        // One channel in, one out per group (a depthwise convolution): a 1-row matrix would fill 1 of each panel's 32
        // rows, so the K taps are applied directly instead.
        bool depthwise = og == 1 && _channels == _groups;
        _taps = depthwise ? weight : [];
        int cg = _channels / _groups;
        _perTap = cg >= MinTapChannels;
        _weights = new PackedMatrix[depthwise ? 0 : _perTap ? _groups * _kernel : _groups];
        for (int g = 0; g < (depthwise || _perTap ? 0 : _groups); g++)
            _weights[g] = PackedMatrix.FromRowMajor(weight.AsSpan(g * og * cg * _kernel, og * cg * _kernel), og, cg * _kernel);
        var tap = new float[_perTap ? og * cg : 0];
        for (int g = 0; g < (depthwise || !_perTap ? 0 : _groups); g++)
        {
            for (int k = 0; k < _kernel; k++)
            {
                for (int o = 0; o < og; o++)
                {
                    for (int c = 0; c < cg; c++)
                        tap[o * cg + c] = weight[((g * og + o) * cg + c) * _kernel + k];
                }
                _weights[g * _kernel + k] = PackedMatrix.FromRowMajor(tap, og, cg);
            }
        }
        _inputLast = inputLast;
        _outputLast = outputLast;
        _fullTap = Enumerable.Range(0, _kernel).Select(k => (k, Range: InsideRange(k))).FirstOrDefault(t => t.Range == (0, _outLength), (-1, default)).Item1;
        if (inputLast && !ReadsChannelsLast(node, graph))
            throw new InvalidOperationException($"node '{node.Name}' cannot read a channels-last input"); // unreachable: GraphLayout asks first
        _tapRows = new float[depthwise && inputLast ? _kernel * _outChannels : 0];
        for (int k = 0; k < (_tapRows.Length == 0 ? 0 : _kernel); k++)
        {
            for (int o = 0; o < _outChannels; o++)
                _tapRows[k * _outChannels + o] = weight[o * _kernel + k];
        }
        _bias = new float[_outChannels];
        if (node.Input(2) is >= 0 and int b)
        {
            if (!graph.Constants.TryGetValue(b, out float[]? bias) || bias.Length != _outChannels)
                throw Fail($"needs a constant bias of {_outChannels} floats");
            bias.CopyTo(_bias, 0);
        }
    }

    /// <summary>
    /// Whether the convolution can read its input stored channels-last: the per-tap products read (L, C) rows anyway
    /// and the depthwise taps vectorise over channels instead of positions; the column buffer reads (C, L), which is the
    /// same memory only for one channel.
    /// </summary>
    public static bool ReadsChannelsLast(GraphNode node, GraphDefinition graph)
    {
        GraphValue x = graph.Values[node.Inputs[0]], w = graph.Values[node.Inputs[1]];
        long groups = node.Attributes.Int("groups");
        if (x.Rank != 3 || w.Rank != 3 || groups < 1 || x.Shape[1] % groups != 0)
            return false; // the kernel will refuse it with the reason
        int channels = x.Shape[1], cg = (int)(channels / groups);
        bool depthwise = channels == groups && w.Shape[0] == channels;
        return depthwise || cg >= MinTapChannels || channels == 1;
    }

    private int GroupChannels => _channels / _groups;

    private int GroupOutputs => _outChannels / _groups;

    public override int ScratchLength => _weights.Length == 0 ? (_inputLast == _outputLast ? 0 : _outLength * _channels)
        : _perTap ? _length * GroupChannels + _outLength * GroupOutputs
        : _outLength * GroupChannels * _kernel + _outLength * GroupOutputs;

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        Span<float> scratch = frame.Scratch(index);
        if (_weights.Length == 0)
        {
            RunDepthwise(x, y, scratch);
            return;
        }
        if (!_perTap)
        {
            RunColumns(x, y, scratch);
            return;
        }
        int og = GroupOutputs, cg = GroupChannels;
        Span<float> transposed = scratch[..(_length * cg)];
        Span<float> product = scratch.Slice(_length * cg, _outLength * og);
        for (int b = 0; b < _batch; b++)
        {
            for (int g = 0; g < _groups; g++)
            {
                // The rows the products read, (L, C/g) a rowStride apart, and the rows they write, (L_out, O/g).
                ReadOnlySpan<float> rows = transposed;
                int rowStride = cg;
                if (_inputLast)
                {
                    rows = x[((b * _length * _channels) + g * cg)..];
                    rowStride = _channels;
                }
                else
                    Transpose(x.Slice((b * _channels + g * cg) * _length, cg * _length), cg, _length, transposed);
                Span<float> outRows = product;
                int outStride = og;
                if (_outputLast)
                {
                    outRows = y[((b * _outLength * _outChannels) + g * og)..];
                    outStride = _outChannels;
                }

                // The bias comes with the first tap that reaches every output position (most often the middle one),
                // or is copied to every row first when padding leaves each tap some positions without input.
                ReadOnlySpan<float> bias = _bias.AsSpan(g * og, og);
                if (_fullTap < 0)
                {
                    for (int t = 0; t < _outLength; t++)
                        bias.CopyTo(outRows.Slice(t * outStride, og));
                }
                else
                    _weights[g * _kernel + _fullTap].Multiply(rows[((_fullTap * _dilation - _padBegin) * rowStride)..], _stride * rowStride, outRows, outStride, _outLength, bias, accumulate: false);
                for (int k = 0; k < _kernel; k++)
                {
                    var (first, end) = InsideRange(k);
                    if (first >= end || k == _fullTap)
                        continue;
                    int row = first * _stride + k * _dilation - _padBegin;
                    _weights[g * _kernel + k].Multiply(rows[(row * rowStride)..], _stride * rowStride, outRows[(first * outStride)..], outStride, end - first, default, accumulate: true);
                }
                if (!_outputLast)
                    Transpose(product, _outLength, og, y.Slice((b * _outChannels + g * og) * _outLength, og * _outLength));
            }
        }
    }

    // One product per group over the column buffer: column[t, c·K + k] = input[c, t·stride − padBegin + k·dilation].
    private void RunColumns(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch)
    {
        int og = GroupOutputs, cg = GroupChannels, cols = cg * _kernel;
        Span<float> column = scratch[..(_outLength * cols)];
        Span<float> product = scratch.Slice(_outLength * cols, _outLength * og);
        for (int b = 0; b < _batch; b++)
        {
            for (int g = 0; g < _groups; g++)
            {
                // A channels-last input has one channel here (see ReadsChannelsLast): the same memory as (C, L).
                FillColumns(x.Slice((b * _channels + g * cg) * _length, cg * _length), cg, column);
                if (_outputLast)
                {
                    _weights[g].Multiply(column, cols, y[((b * _outLength * _outChannels) + g * og)..], _outChannels, _outLength, _bias.AsSpan(g * og, og), accumulate: false);
                    continue;
                }
                _weights[g].Multiply(column, cols, product, og, _outLength, _bias.AsSpan(g * og, og), accumulate: false);
                Transpose(product, _outLength, og, y.Slice((b * _outChannels + g * og) * _outLength, og * _outLength));
            }
        }
    }

    // Zero outside the input. Filled tap by tap: for each (c, k) the positions t that read inside the input are one
    // range, so the loop has no bounds test per element.
    private void FillColumns(ReadOnlySpan<float> input, int channels, Span<float> column)
    {
        int cols = channels * _kernel;
        column[..(_outLength * cols)].Clear();
        if (input.Length < channels * _length)
            throw new ArgumentException("the input is shorter than its channels"); // unreachable: sized by the plan
        ref float columns = ref MemoryMarshal.GetReference(column);
        ref float source = ref MemoryMarshal.GetReference(input);
        for (int k = 0; k < _kernel; k++)
        {
            var (first, end) = InsideRange(k);
            if (first >= end)
                continue;
            int origin = first * _stride - _padBegin + k * _dilation;
            for (int c = 0; c < channels; c++)
            {
                ref float from = ref Unsafe.Add(ref source, c * _length + origin);
                ref float to = ref Unsafe.Add(ref columns, first * cols + c * _kernel + k);
                for (int t = 0; t < end - first; t++)
                    Unsafe.Add(ref to, t * cols) = Unsafe.Add(ref from, t * _stride);
            }
        }
    }

    // destination (cols, rows) = source (rows, cols) transposed; both spans hold rows · cols floats (checked by the slices).
    private static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        if (source.Length < rows * cols || destination.Length < rows * cols)
            throw new ArgumentException("transpose buffers are too short"); // unreachable: sized by the plan
        ref float from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref from, r * cols);
            for (int c = 0; c < cols; c++)
                Unsafe.Add(ref to, c * rows + r) = Unsafe.Add(ref row, c);
        }
    }

    // Each channel on its own. Per batch item: both layouts (C, L) → one channel at a time (RunDepthwisePositions);
    // both (L, C) → one position at a time (RunDepthwiseChannels); mixed → the input's way into scratch, then a transpose.
    private void RunDepthwise(ReadOnlySpan<float> x, Span<float> y, Span<float> scratch)
    {
        int inLength = _length * _channels, outLength = _outLength * _channels;
        for (int b = 0; b < _batch; b++)
        {
            ReadOnlySpan<float> input = x.Slice(b * inLength, inLength);
            Span<float> output = y.Slice(b * outLength, outLength);
            if (_inputLast == _outputLast)
            {
                if (_inputLast)
                    RunDepthwiseChannels(input, output);
                else
                    RunDepthwisePositions(input, output);
                continue;
            }
            Span<float> staged = scratch[..outLength];
            if (_inputLast)
            {
                RunDepthwiseChannels(input, staged);
                Transpose(staged, _outLength, _channels, output);
            }
            else
            {
                RunDepthwisePositions(input, staged);
                Transpose(staged, _channels, _outLength, output);
            }
        }
    }

    // One batch item, (C, L) → (C, L_out): y[t] = bias + Σ_k taps[k] · x[t·stride − padBegin + k·dilation] per channel.
    // For each tap, the output positions whose input lies inside x are one range, found once; with stride 1 that range
    // is a vectorised multiply-add of a shifted slice of x.
    private void RunDepthwisePositions(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int n = 0; n < _channels; n++)
        {
            ReadOnlySpan<float> input = x.Slice(n * _length, _length);
            ReadOnlySpan<float> taps = _taps.AsSpan(n * _kernel, _kernel);
            Span<float> output = y.Slice(n * _outLength, _outLength);
            output.Fill(_bias[n]);
            for (int k = 0; k < _kernel; k++)
            {
                var (first, end) = InsideRange(k);
                if (first >= end)
                    continue;
                int at = first * _stride - _padBegin + k * _dilation;
                if (_stride == 1)
                {
                    Span<float> slice = output[first..end];
                    TensorPrimitives.MultiplyAdd(input.Slice(at, end - first), taps[k], slice, slice);
                    continue;
                }
                for (int t = first; t < end; t++, at += _stride)
                    output[t] += taps[k] * input[at];
            }
        }
    }

    // One batch item, (L, C) → (L_out, C): the same sums (a multiply then an add per tap), a position's C channels at a
    // time against tap k of every channel.
    private void RunDepthwiseChannels(ReadOnlySpan<float> x, Span<float> y)
    {
        int c = _channels;
        if (x.Length < _length * c || y.Length < _outLength * c)
            throw new ArgumentException("depthwise buffers are too short"); // unreachable: sliced by the kernel
        ref float input = ref MemoryMarshal.GetReference(x);
        ref float output = ref MemoryMarshal.GetReference(y);
        // As the per-tap products: the first tap that reaches every position starts each row at bias + its product.
        if (_fullTap >= 0)
        {
            ref float taps = ref _tapRows[_fullTap * c];
            for (int t = 0; t < _outLength; t++)
                AddProduct(ref Unsafe.Add(ref input, (t * _stride - _padBegin + _fullTap * _dilation) * c), ref taps, ref _bias[0], ref Unsafe.Add(ref output, t * c), c);
        }
        else
        {
            for (int t = 0; t < _outLength; t++)
                _bias.CopyTo(y.Slice(t * c, c));
        }
        for (int k = 0; k < _kernel; k++)
        {
            if (k == _fullTap)
                continue;
            var (first, end) = InsideRange(k);
            ref float taps = ref _tapRows[k * c];
            for (int t = first; t < end; t++)
            {
                ref float row = ref Unsafe.Add(ref output, t * c);
                AddProduct(ref Unsafe.Add(ref input, (t * _stride - _padBegin + k * _dilation) * c), ref taps, ref row, ref row, c);
            }
        }
    }

    // y[i] = onto[i] + x[i] · taps[i] over n channels (inside the buffers, as RunDepthwiseChannels checks): a multiply
    // then an add, as TensorPrimitives.MultiplyAdd does, inline for rows of a few dozen channels where a call per row
    // would cost more than the row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddProduct(ref float x, ref float taps, ref float onto, ref float y, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref onto, (nuint)i) + Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref taps, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref y, i) = Unsafe.Add(ref onto, i) + Unsafe.Add(ref x, i) * Unsafe.Add(ref taps, i);
    }

    // The output positions [first, end) whose tap k reads inside the input: 0 ≤ t·stride − padBegin + k·dilation < L.
    private (int First, int End) InsideRange(int k)
    {
        int shift = k * _dilation - _padBegin;                            // input index of tap k at t = 0
        int first = shift >= 0 ? 0 : (-shift + _stride - 1) / _stride;   // smallest t with t·stride + shift ≥ 0
        int end = _length - shift <= 0 ? 0 : (_length - shift - 1) / _stride + 1; // past the largest t with t·stride + shift < L
        return (first, Math.Min(end, _outLength));
    }

    public override string Describe()
        => $"{_channels}->{_outChannels} k{_kernel} s{_stride} d{_dilation} g{_groups}{(_weights.Length == 0 ? " depthwise" : _perTap ? " per tap" : " columns")}, L {_length}->{_outLength}"
            + (_inputLast || _outputLast ? $", {(_inputLast ? "(L, C)" : "(C, L)")} -> {(_outputLast ? "(L, C)" : "(C, L)")}" : "");
}
