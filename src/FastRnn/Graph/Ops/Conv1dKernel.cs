using FastRnn.Kernels;

namespace FastRnn.Graph.Ops;

/// <summary>
/// 1-D convolution (ONNX Conv on (B, C, L), PyTorch <c>nn.Conv1d</c>) with stride, padding, dilation and groups,
/// lowered to one matrix product per batch item and group: x (B, C, L), weight (O, C/g, K), bias (O) → (B, O, L_out).
/// </summary>
/// <remarks>
/// The column buffer holds, for every output position t, the C/g·K input values the filter sees there (zeros where it
/// hangs over the padding), in the order of a weight row (channel-major, then tap). The product then gives (L_out, O/g)
/// — every output position is one vector against the packed filter bank — and a transpose writes (O/g, L_out).
/// </remarks>
internal sealed class Conv1dKernel : GraphKernel
{
    private readonly PackedMatrix[] _weights; // per group (O/g, C/g·K); empty when depthwise
    private readonly float[] _taps;           // (O, K), depthwise only
    private readonly float[] _bias;           // (O)
    private readonly int _batch, _channels, _length, _outChannels, _outLength, _kernel, _stride, _dilation, _padBegin, _groups;

    public Conv1dKernel(GraphNode node, GraphDefinition graph)
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

        int og = _outChannels / _groups, cols = _channels / _groups * _kernel; // cols ≤ the weight's element count
        if ((long)_outLength * (cols + og) > GraphValue.MaxElements)
            throw Fail($"needs a column buffer of {(long)_outLength * (cols + og)} floats; at most {GraphValue.MaxElements}");
        // One channel in, one out per group (a depthwise convolution): a 1-row matrix would fill 1 of each panel's 32
        // rows, so the K taps are applied directly instead.
        bool depthwise = og == 1 && _channels == _groups;
        _taps = depthwise ? weight : [];
        _weights = new PackedMatrix[depthwise ? 0 : _groups];
        for (int g = 0; g < _weights.Length; g++)
            _weights[g] = PackedMatrix.FromRowMajor(weight.AsSpan(g * og * cols, og * cols), og, cols);
        _bias = new float[_outChannels];
        if (node.Input(2) is >= 0 and int b)
        {
            if (!graph.Constants.TryGetValue(b, out float[]? bias) || bias.Length != _outChannels)
                throw Fail($"needs a constant bias of {_outChannels} floats");
            bias.CopyTo(_bias, 0);
        }
    }

    private int Columns => _channels / _groups * _kernel;

    private int GroupOutputs => _outChannels / _groups;

    public override int ScratchLength => _weights.Length == 0 ? 0 : _outLength * Columns + _outLength * GroupOutputs;

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        if (_weights.Length == 0)
        {
            RunDepthwise(x, y);
            return;
        }
        Span<float> scratch = frame.Scratch(index);
        int cols = Columns, og = GroupOutputs, cg = _channels / _groups;
        Span<float> column = scratch[..(_outLength * cols)];
        Span<float> product = scratch.Slice(_outLength * cols, _outLength * og);
        for (int b = 0; b < _batch; b++)
        {
            for (int g = 0; g < _groups; g++)
            {
                ReadOnlySpan<float> input = x.Slice((b * _channels + g * cg) * _length, cg * _length);
                FillColumns(input, cg, column);
                _weights[g].Multiply(column, cols, product, og, _outLength, _bias.AsSpan(g * og, og), accumulate: false);
                Span<float> output = y.Slice((b * _outChannels + g * og) * _outLength, og * _outLength);
                for (int t = 0; t < _outLength; t++)
                {
                    ReadOnlySpan<float> row = product.Slice(t * og, og);
                    for (int o = 0; o < og; o++)
                        output[o * _outLength + t] = row[o];
                }
            }
        }
    }

    private void RunDepthwise(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int n = 0; n < _batch * _channels; n++)
        {
            ReadOnlySpan<float> input = x.Slice(n * _length, _length);
            ReadOnlySpan<float> taps = _taps.AsSpan(n % _channels * _kernel, _kernel);
            Span<float> output = y.Slice(n * _outLength, _outLength);
            float bias = _bias[n % _channels];
            for (int t = 0; t < _outLength; t++)
            {
                float sum = bias;
                int origin = t * _stride - _padBegin;
                for (int k = 0; k < _kernel; k++)
                {
                    int at = origin + k * _dilation;
                    if ((uint)at < (uint)_length)
                        sum += taps[k] * input[at];
                }
                output[t] = sum;
            }
        }
    }

    // column[t, c·K + k] = input[c, t·stride − padBegin + k·dilation], zero outside the input.
    private void FillColumns(ReadOnlySpan<float> input, int channels, Span<float> column)
    {
        int cols = channels * _kernel;
        for (int t = 0; t < _outLength; t++)
        {
            Span<float> row = column.Slice(t * cols, cols);
            int origin = t * _stride - _padBegin;
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> channel = input.Slice(c * _length, _length);
                Span<float> taps = row.Slice(c * _kernel, _kernel);
                if (_dilation == 1 && origin >= 0 && origin + _kernel <= _length)
                {
                    channel.Slice(origin, _kernel).CopyTo(taps); // the common case: the whole window inside
                    continue;
                }
                for (int k = 0; k < _kernel; k++)
                {
                    int at = origin + k * _dilation;
                    taps[k] = (uint)at < (uint)_length ? channel[at] : 0f;
                }
            }
        }
    }

    public override string Describe()
        => $"{_channels}->{_outChannels} k{_kernel} s{_stride} d{_dilation} g{_groups}{(_weights.Length == 0 ? " depthwise" : "")}, L {_length}->{_outLength}";
}
