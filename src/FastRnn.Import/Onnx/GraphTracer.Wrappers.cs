using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FastRnn.Import;

/// <summary>The wrapper operators: each on constants (folded), size vectors, zeros and streams.</summary>
internal sealed partial class GraphTracer
{
    private TracedValue Wrapper(NodeProto node, TracedValue?[] inputs)
    {
        TracedValue First() => inputs.Length > 0 && inputs[0] is { } v ? v : throw Fail(node, "lacks its first input");
        return node.OpType switch
        {
            "Identity" => First(),
            "Cast" => Cast(node, First()),
            "Constant" => Constant(node),
            "Shape" => Shape(node, First()),
            "Gather" => Gather(node, First(), inputs.ElementAtOrDefault(1)),
            "Unsqueeze" => Unsqueeze(node, First(), AxesOf(node, inputs, required: true)!),
            "Squeeze" => Squeeze(node, First(), AxesOf(node, inputs, required: false)),
            "Transpose" => Transpose(node, First()),
            "Reshape" => Reshape(node, First(), inputs.ElementAtOrDefault(1)),
            "Concat" => Concat(node, inputs),
            "Slice" => Slice(node, inputs),
            "ConstantOfShape" => ConstantOfShape(node, First()),
            "Expand" => Expand(node, First(), inputs.ElementAtOrDefault(1)),
            _ => throw Fail(node, "is not an operator FastRnn understands"),
        };
    }

    private OnnxAttributes Attributes(NodeProto node, params string[] known) => new(_source, node, known);

    private TracedValue Cast(NodeProto node, TracedValue value)
    {
        var to = (DataType)(Attributes(node, "to", "saturate").Int("to") ?? throw Fail(node, "lacks the attribute 'to'"));
        if (value is not ConstValue c)
            return value; // a stream or size vector keeps its meaning (say sequence_lens from int64 to int32)
        return to switch
        {
            DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16 => new ConstValue(ConstTensor.Float(c.Tensor.Shape, c.Tensor.AsFloats())),
            DataType.Bool => new ConstValue(ConstTensor.Int(c.Tensor.Shape, c.Tensor.AsInts().Select(v => v != 0 ? 1L : 0L).ToArray())),
            _ => new ConstValue(ConstTensor.Int(c.Tensor.Shape, c.Tensor.AsInts())),
        };
    }

    private TracedValue Constant(NodeProto node)
    {
        var a = Attributes(node, "value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value");
        if (a.Tensor("value") is { } t)
            return new ConstValue(OnnxTensorReader.Read(_source, t, node.Output.FirstOrDefault() ?? "Constant", _external));
        if (a.Float("value_float") is { } f)
            return new ConstValue(ConstTensor.Float([], [f]));
        if (a.Floats("value_floats") is { } fs)
            return new ConstValue(ConstTensor.Float([fs.Length], fs));
        if (a.Int("value_int") is { } i)
            return new ConstValue(ConstTensor.Int([], [i]));
        if (a.Ints("value_ints") is { } ints)
            return new ConstValue(ConstTensor.Int([ints.Length], ints));
        throw Fail(node, "holds a string or sparse tensor, or no value; FastRnn folds numeric constants only");
    }

    private TracedValue Shape(NodeProto node, TracedValue value)
    {
        var a = Attributes(node, "start", "end");
        Dim[] dims = value switch
        {
            ConstValue c => c.Tensor.Shape.Select(Dim.Known).ToArray(),
            StreamValue s => s.Axes.Select(Dim.Of).ToArray(),
            DimsValue d => [Dim.Known(d.IsScalar ? 0 : d.Dims.Length)],
            _ => throw Fail(node, "takes the shape of a zero tensor whose shape FastRnn does not track"),
        };
        if (value is DimsValue { IsScalar: true })
            dims = [];
        int rank = dims.Length;
        long start = a.Int("start") ?? 0, end = a.Int("end") ?? rank;
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        return Dims(dims[(int)start..(int)Math.Max(start, end)]);
    }

    private static TracedValue Dims(Dim[] dims, bool scalar = false)
        => dims.All(d => d.IsKnown)
            ? new ConstValue(ConstTensor.Int(scalar ? [] : [dims.Length], dims.Select(d => d.Value).ToArray()))
            : new DimsValue(dims, scalar);

    private TracedValue Gather(NodeProto node, TracedValue data, TracedValue? indicesValue)
    {
        int axisAttribute = (int)(Attributes(node, "axis").Int("axis") ?? 0);
        if (indicesValue is not ConstValue { Tensor: var indices })
            throw Fail(node, "gathers with indices computed at run time");
        switch (data)
        {
            case DimsValue d:
            {
                if (d.IsScalar || Axis(node, axisAttribute, 1) != 0 || indices.Shape.Length > 1)
                    throw Fail(node, "gathers from a size vector in a way FastRnn does not follow");
                Dim[] picked = indices.AsInts().Select(i => d.Dims[Axis(node, i, d.Dims.Length)]).ToArray();
                return Dims(picked, scalar: indices.Shape.Length == 0);
            }
            case ConstValue { Tensor: var c }:
            {
                int axis = Axis(node, axisAttribute, c.Shape.Length);
                long[] idx = indices.AsInts().Select(i => (long)Axis(node, i, (int)c.Shape[axis])).ToArray();
                long[] shape = [.. c.Shape[..axis], .. indices.Shape, .. c.Shape[(axis + 1)..]];
                int q = indices.Shape.Length;
                return new ConstValue(c.Gather(shape, index =>
                {
                    long[] from = [.. index[..axis], idx[indices.Flat(index.AsSpan(axis, q))], .. index[(axis + q)..]];
                    return c.Flat(from);
                }));
            }
            case ZerosValue:
                return data;
            default:
                throw Fail(node, "selects part of the sequence or state (say one time step); FastRnn returns whole sequences and states: slice its output instead");
        }
    }

    /// <summary>Squeeze/Unsqueeze axes: an input from opset 13, an attribute before.</summary>
    private long[]? AxesOf(NodeProto node, TracedValue?[] inputs, bool required)
    {
        var a = Attributes(node, "axes");
        if (_opset < 13 || a.Has("axes"))
            return a.Ints("axes") ?? (required ? throw Fail(node, "lacks its axes") : null);
        return inputs.Length > 1 && inputs[1] is not null ? ConstInts(node, inputs[1], "axes") : required ? throw Fail(node, "lacks its axes") : null;
    }

    private TracedValue Unsqueeze(NodeProto node, TracedValue value, long[] axes)
    {
        int rank = value switch
        {
            ConstValue c => c.Tensor.Shape.Length,
            DimsValue d => d.IsScalar ? 0 : 1,
            StreamValue s => s.Axes.Length,
            _ => -1,
        };
        if (value is ZerosValue)
            return value;
        int outRank = rank + axes.Length;
        var inserted = axes.Select(a => Axis(node, a, outRank)).ToHashSet();
        if (inserted.Count != axes.Length)
            throw Fail(node, "repeats an axis");
        switch (value)
        {
            case ConstValue c:
            {
                var shape = new List<long>(c.Tensor.Shape);
                foreach (int a in inserted.Order())
                    shape.Insert(a, 1);
                return new ConstValue(c.Tensor.WithShape([.. shape]));
            }
            case DimsValue d when d.IsScalar && outRank == 1:
                return new DimsValue(d.Dims, false);
            case StreamValue s:
            {
                var list = new List<StreamAxis>(s.Axes);
                foreach (int a in inserted.Order())
                    list.Insert(a, StreamAxis.One);
                return s.WithAxes([.. list]);
            }
            default:
                throw Fail(node, "unsqueezes a size vector in a way FastRnn does not follow");
        }
    }

    private TracedValue Squeeze(NodeProto node, TracedValue value, long[]? axes)
    {
        switch (value)
        {
            case ZerosValue:
                return value;
            case ConstValue c:
            {
                long[] shape = c.Tensor.Shape;
                var removed = axes is null ? Enumerable.Range(0, shape.Length).Where(i => shape[i] == 1).ToHashSet() : axes.Select(a => Axis(node, a, shape.Length)).ToHashSet();
                if (removed.Any(i => shape[i] != 1))
                    throw Fail(node, $"squeezes an axis of length other than 1 from a constant of shape {c.Tensor.ShapeText}");
                return new ConstValue(c.Tensor.WithShape(shape.Where((_, i) => !removed.Contains(i)).ToArray()));
            }
            case DimsValue d when !d.IsScalar && d.Dims.Length == 1:
                return new DimsValue(d.Dims, true);
            case StreamValue s:
            {
                if (axes is null && s.Axes.Any(a => a.Size < 0))
                    throw Fail(node, "squeezes without naming its axes a tensor whose time or batch length is known only at run time");
                var removed = axes is null ? Enumerable.Range(0, s.Axes.Length).Where(i => s.Axes[i].Size == 1).ToHashSet() : axes.Select(a => Axis(node, a, s.Axes.Length)).ToHashSet();
                foreach (int i in removed)
                {
                    StreamAxis a = s.Axes[i];
                    // A graph input's axis of unknown length may be squeezed: it is then length 1 by contract.
                    if (!(a.IsUnit || (a.Role == AxisRole.Open && a.Size < 0 && a.IsWholeInputAxis)))
                        throw Fail(node, $"squeezes axis {i}, which holds {Describe(a)}; only axes of length 1 can be squeezed");
                }
                return s.WithAxes(s.Axes.Where((_, i) => !removed.Contains(i)).ToArray());
            }
            default:
                throw Fail(node, "squeezes a size vector in a way FastRnn does not follow");
        }
    }

    private TracedValue Transpose(NodeProto node, TracedValue value)
    {
        long[]? perm = Attributes(node, "perm").Ints("perm");
        int rank = value switch
        {
            ConstValue c => c.Tensor.Shape.Length,
            StreamValue s => s.Axes.Length,
            DimsValue d => d.IsScalar ? 0 : 1,
            _ => -1,
        };
        if (value is ZerosValue || value is DimsValue)
            return value;
        int[] p = perm is null ? Enumerable.Range(0, rank).Reverse().ToArray() : perm.Select(a => Axis(node, a, rank)).ToArray();
        if (p.Length != rank || p.Distinct().Count() != rank)
            throw Fail(node, $"has perm [{string.Join(", ", perm ?? [])}], not a permutation of {rank} axes");
        switch (value)
        {
            case ConstValue { Tensor: var c }:
            {
                long[] shape = p.Select(i => c.Shape[i]).ToArray();
                return new ConstValue(c.Gather(shape, index =>
                {
                    var from = new long[rank];
                    for (int k = 0; k < rank; k++)
                        from[p[k]] = index[k];
                    return c.Flat(from);
                }));
            }
            default:
            {
                var s = (StreamValue)value;
                return s.WithAxes(p.Select(i => s.Axes[i]).ToArray());
            }
        }
    }

    private TracedValue ConstantOfShape(NodeProto node, TracedValue shape)
    {
        TensorProto? valueProto = Attributes(node, "value").Tensor("value");
        ConstTensor fill = valueProto is null ? ConstTensor.Float([1], [0f]) : OnnxTensorReader.Read(_source, valueProto, "value", _external);
        if (fill.IsAllZero)
            return new ZerosValue();
        if (shape is not ConstValue { Tensor: var s })
            throw Fail(node, "fills a tensor of run-time shape with a value other than zero");
        long[] dims = s.AsInts();
        long count = Product(dims);
        if (count < 0)
            throw Fail(node, $"fills a tensor of shape [{string.Join(", ", dims)}], which has a negative dimension or more than 2^63 elements");
        if (count > 1 << 24)
            throw Fail(node, $"makes a constant of {count} elements");
        return new ConstValue(fill.IsFloat
            ? ConstTensor.Float(dims, Enumerable.Repeat(fill.Floats![0], (int)count).ToArray())
            : ConstTensor.Int(dims, Enumerable.Repeat(fill.Ints![0], (int)count).ToArray()));
    }

    private TracedValue Expand(NodeProto node, TracedValue value, TracedValue? shape)
    {
        if (shape is null)
            throw Fail(node, "lacks its shape input");
        if (value is ZerosValue || value is ConstValue { Tensor.IsAllZero: true })
            return new ZerosValue();
        throw Fail(node, "expands something other than zeros; FastRnn follows Expand only where exporters build a zero initial state");
    }

    private static string Describe(StreamAxis a) => a.Role switch
    {
        AxisRole.Open => $"axis {a.InputAxis} of a graph input",
        AxisRole.Time => "time",
        AxisRole.Batch => "batch",
        AxisRole.Directions => "directions",
        AxisRole.Hidden => "hidden units",
        AxisRole.Features => "features",
        AxisRole.Slots => "state slots",
        _ => "a unit axis",
    };
}
