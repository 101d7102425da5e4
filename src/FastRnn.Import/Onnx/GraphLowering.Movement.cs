using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Data movement: Reshape, Squeeze, Unsqueeze, Flatten and Identity become views (no copy); Slice, Split, Transpose,
/// Concat, Gather, Pad and Expand fold when their data is known and otherwise become strided copies.
/// </summary>
internal sealed partial class GraphLowering
{
    private void AddMovement(Dictionary<string, Transfer> t)
    {
        t["Identity"] = (n, i) => [Present(n, i, 0, "input")];
        t["Dropout"] = Dropout;
        t["Reshape"] = Reshape;
        t["Squeeze"] = Squeeze;
        t["Unsqueeze"] = Unsqueeze;
        t["Flatten"] = Flatten;
        t["Transpose"] = Transpose;
        t["Slice"] = Slice;
        t["Split"] = Split;
        t["Concat"] = Concat;
        t["Gather"] = Gather;
        t["Expand"] = Expand;
        t["Pad"] = Pad;
    }

    /// <summary><paramref name="value"/> under <paramref name="shape"/>: folded when known, else a view.</summary>
    private Lowered Reshaped(NodeProto node, Lowered value, long[] shape)
    {
        if (shape.Any(d => d < 1 || d > GraphValue.MaxDimension) || ConstMath.Count(shape) != ConstMath.Count(ShapeOf(value)))
            throw Fail(node, $"reshapes {Text(ShapeOf(value))} to {Text(shape)}: the element counts differ, or a dimension is outside 1..{GraphValue.MaxDimension}");
        return value switch
        {
            Known k => new Known(k.Tensor.WithShape(shape)),
            Computed c => Emit(GraphOp.Reshape, node, [c.Value], shape.Select(d => (int)d).ToArray(), type: c.Type),
            _ => value,
        };
    }

    private static string Text(long[] shape) => $"[{string.Join(", ", shape)}]";

    private Lowered[] Dropout(NodeProto node, Lowered?[] inputs)
    {
        // Inference: the identity. The optional mask output is all true.
        Lowered x = Present(node, inputs, 0, "data");
        return [x, new Known(ConstTensor.Int(ShapeOf(x), Enumerable.Repeat(1L, (int)ConstMath.Count(ShapeOf(x))).ToArray()))];
    }

    private Lowered[] Reshape(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "data");
        long[] requested = Const(node, inputs.ElementAtOrDefault(1), "shape").AsInts();
        bool allowZero = Attributes(node, "allowzero").Int("allowzero") == 1;
        long[] from = ShapeOf(x);
        long[] shape = requested.Select((d, k) => d == 0 && !allowZero ? (k < from.Length ? from[k] : throw Fail(node, $"copies dimension {k} of a tensor of rank {from.Length}")) : d).ToArray();
        int unknown = Array.IndexOf(shape, -1L);
        if (unknown >= 0)
        {
            long rest = shape.Where((_, k) => k != unknown).Aggregate(1L, (p, d) => p * d);
            if (rest <= 0 || ConstMath.Count(from) % rest != 0 || shape.Count(d => d == -1) > 1)
                throw Fail(node, $"cannot reshape {Text(from)} to {Text(requested)}");
            shape[unknown] = ConstMath.Count(from) / rest;
        }
        return [Reshaped(node, x, shape)];
    }

    private long[] AxesInput(NodeProto node, Lowered?[] inputs, OnnxAttributes a)
        => _opset >= 13 ? (inputs.ElementAtOrDefault(1) is { } v ? Const(node, v, "axes").AsInts() : []) : a.Ints("axes") ?? [];

    private Lowered[] Squeeze(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "data");
        long[] shape = ShapeOf(x);
        long[] axes = AxesInput(node, inputs, Attributes(node, "axes"));
        var drop = axes.Length == 0 ? Enumerable.Range(0, shape.Length).Where(k => shape[k] == 1).ToHashSet() : axes.Select(a => Axis(node, a, shape.Length)).ToHashSet();
        if (drop.Any(k => shape[k] != 1))
            throw Fail(node, $"squeezes an axis of {Text(shape)} whose size is not 1");
        return [Reshaped(node, x, shape.Where((_, k) => !drop.Contains(k)).ToArray())];
    }

    private Lowered[] Unsqueeze(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "data");
        long[] shape = ShapeOf(x);
        long[] axes = AxesInput(node, inputs, Attributes(node, "axes"));
        int rank = shape.Length + axes.Length;
        var insert = axes.Select(a => Axis(node, a, rank)).ToHashSet();
        if (insert.Count != axes.Length)
            throw Fail(node, "names an axis twice");
        var result = new List<long>();
        int from = 0;
        for (int k = 0; k < rank; k++)
            result.Add(insert.Contains(k) ? 1 : shape[from++]);
        return [Reshaped(node, x, [.. result])];
    }

    private Lowered[] Flatten(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "input");
        long[] shape = ShapeOf(x);
        int axis = Axis(node, Attributes(node, "axis").Int("axis") ?? 1, shape.Length + 1);
        return [Reshaped(node, x, [shape[..axis].Aggregate(1L, (p, d) => p * d), shape[axis..].Aggregate(1L, (p, d) => p * d)])];
    }

    private Lowered[] Transpose(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "data");
        long[] shape = ShapeOf(x);
        long[] perm = Attributes(node, "perm").Ints("perm") ?? Enumerable.Range(0, shape.Length).Reverse().Select(k => (long)k).ToArray();
        if (perm.Length != shape.Length || perm.Order().Where((p, k) => p != k).Any())
            throw Fail(node, $"has perm {Text(perm)} for rank {shape.Length}");
        long[] result = perm.Select(p => shape[p]).ToArray();
        long[] moved = perm.Where(p => shape[p] != 1).ToArray();
        if (moved.Zip(moved.Skip(1)).All(p => p.First < p.Second))
            return [Reshaped(node, x, result)]; // the axes longer than 1 keep their order: the same elements in the same order
        return x switch
        {
            Known k => [new Known(k.Tensor.Gather(result, index =>
            {
                var from = new long[index.Length];
                for (int j = 0; j < index.Length; j++)
                    from[perm[j]] = index[j];
                return k.Tensor.Flat(from);
            }))],
            Computed c => [Emit(GraphOp.Transpose, node, [c.Value], result.Select(d => (int)d).ToArray(), new GraphAttributes().Set("perm", perm), c.Type)],
            _ => [x],
        };
    }

    /// <summary>Start, count and step of every axis for ONNX Slice semantics (clamping, negative steps).</summary>
    private (long[] Starts, long[] Counts, long[] Steps) SliceRanges(NodeProto node, long[] shape, long[] starts, long[] ends, long[] axes, long[] steps)
    {
        int rank = shape.Length;
        long[] s = new long[rank], c = (long[])shape.Clone(), st = Enumerable.Repeat(1L, rank).ToArray();
        if (axes.Length == 0)
            axes = Enumerable.Range(0, starts.Length).Select(k => (long)k).ToArray();
        if (starts.Length != ends.Length || axes.Length != starts.Length || (steps.Length > 0 && steps.Length != starts.Length))
            throw Fail(node, "has starts, ends, axes and steps of different lengths");
        for (int j = 0; j < axes.Length; j++)
        {
            int k = Axis(node, axes[j], rank);
            long dim = shape[k], step = steps.Length > 0 ? steps[j] : 1;
            if (step == 0)
                throw Fail(node, "has step 0");
            long start = starts[j] < 0 ? starts[j] + dim : starts[j];
            long end = ends[j] < 0 ? ends[j] + dim : ends[j];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
                c[k] = Math.Max(0, (end - start + step - 1) / step);
            }
            else
            {
                start = Math.Clamp(start, -1, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                c[k] = Math.Max(0, (start - end + (-step) - 1) / -step);
            }
            (s[k], st[k]) = (start, step);
        }
        if (c.Any(n => n == 0))
            throw Fail(node, $"selects nothing from {Text(shape)}; FastRnn has no empty tensors");
        return (s, c, st);
    }

    private Lowered[] Slice(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "data");
        long[] shape = ShapeOf(x);
        long[] starts, ends, axes, steps;
        if (_opset >= 10)
        {
            starts = Const(node, inputs.ElementAtOrDefault(1), "starts").AsInts();
            ends = Const(node, inputs.ElementAtOrDefault(2), "ends").AsInts();
            axes = inputs.ElementAtOrDefault(3) is { } a ? Const(node, a, "axes").AsInts() : [];
            steps = inputs.ElementAtOrDefault(4) is { } s ? Const(node, s, "steps").AsInts() : [];
        }
        else
        {
            var a = Attributes(node, "starts", "ends", "axes");
            (starts, ends, axes, steps) = (a.Ints("starts") ?? [], a.Ints("ends") ?? [], a.Ints("axes") ?? [], []);
        }
        return [Sliced(node, x, SliceRanges(node, shape, starts, ends, axes, steps))];
    }

    private Lowered Sliced(NodeProto node, Lowered x, (long[] Starts, long[] Counts, long[] Steps) r)
    {
        long[] shape = ShapeOf(x);
        if (r.Counts.SequenceEqual(shape) && r.Starts.All(s => s == 0) && r.Steps.All(s => s == 1))
            return x;
        return x switch
        {
            Known k => new Known(k.Tensor.Gather(r.Counts, index =>
            {
                var from = new long[index.Length];
                for (int j = 0; j < index.Length; j++)
                    from[j] = r.Starts[j] + index[j] * r.Steps[j];
                return k.Tensor.Flat(from);
            })),
            Computed c => Emit(GraphOp.Slice, node, [c.Value], r.Counts.Select(d => (int)d).ToArray(),
                new GraphAttributes().Set("starts", r.Starts).Set("steps", r.Steps), c.Type),
            _ => x,
        };
    }

    private Lowered[] Split(NodeProto node, Lowered?[] inputs)
    {
        Lowered x = Present(node, inputs, 0, "input");
        long[] shape = ShapeOf(x);
        var a = Attributes(node, "axis", "split", "num_outputs");
        int axis = Axis(node, a.Int("axis") ?? 0, shape.Length);
        long[] sizes = _opset >= 13 ? (inputs.ElementAtOrDefault(1) is { } s ? Const(node, s, "split").AsInts() : []) : a.Ints("split") ?? [];
        int outputs = node.Output.Count;
        if (sizes.Length == 0)
        {
            long each = (shape[axis] + outputs - 1) / outputs;
            sizes = Enumerable.Range(0, outputs).Select(k => Math.Min(each, shape[axis] - k * each)).ToArray();
        }
        if (sizes.Length != outputs || sizes.Sum() != shape[axis] || sizes.Any(v => v < 1))
            throw Fail(node, $"splits an axis of {shape[axis]} into {Text(sizes)} for {outputs} outputs");
        var result = new Lowered[outputs];
        long start = 0;
        for (int k = 0; k < outputs; k++)
        {
            long[] starts = new long[shape.Length], counts = (long[])shape.Clone(), steps = Enumerable.Repeat(1L, shape.Length).ToArray();
            (starts[axis], counts[axis]) = (start, sizes[k]);
            var part = new NodeProto(node) { Output = { } };
            part.Output.Clear();
            part.Output.Add(node.Output[k]);
            result[k] = Sliced(part, x, (starts, counts, steps));
            start += sizes[k];
        }
        return result;
    }

    private Lowered[] Concat(NodeProto node, Lowered?[] inputs)
    {
        Lowered[] parts = inputs.Select((v, k) => v ?? throw Fail(node, $"lacks input {k}")).ToArray();
        long[] first = ShapeOf(parts[0]);
        int axis = Axis(node, Attributes(node, "axis").Int("axis") ?? throw Fail(node, "lacks attribute 'axis'"), first.Length);
        foreach (Lowered p in parts)
        {
            long[] s = ShapeOf(p);
            if (s.Length != first.Length || s.Where((d, k) => k != axis && d != first[k]).Any())
                throw Fail(node, $"concatenates {Text(s)} with {Text(first)} along axis {axis}");
        }
        long[] shape = (long[])first.Clone();
        shape[axis] = parts.Sum(p => ShapeOf(p)[axis]);
        if (parts.All(p => p is Known))
        {
            ConstTensor[] ts = parts.Select(p => ((Known)p).Tensor).ToArray();
            return [new Known(ts[0].IsFloat || ts.Any(t => t.IsFloat)
                ? ConstTensor.Float(shape, Joined(ts, axis, shape, t => t.AsFloats()))
                : ConstTensor.Int(shape, Joined(ts, axis, shape, t => t.Ints!)))];
        }
        int[] operands = parts.Select(p => Operand(node, p, "input")).ToArray();
        return [Emit(GraphOp.Concat, node, operands, shape.Select(d => (int)d).ToArray(), new GraphAttributes().Set("axis", (long)axis))];
    }

    private static T[] Joined<T>(ConstTensor[] parts, int axis, long[] shape, Func<ConstTensor, T[]> data)
    {
        long outer = shape[..axis].Aggregate(1L, (p, d) => p * d), inner = shape[(axis + 1)..].Aggregate(1L, (p, d) => p * d);
        var result = new List<T>();
        for (long o = 0; o < outer; o++)
        {
            foreach (ConstTensor t in parts)
            {
                long block = t.Shape[axis] * inner;
                result.AddRange(data(t).Skip((int)(o * block)).Take((int)block));
            }
        }
        return [.. result];
    }

    private Lowered[] Gather(NodeProto node, Lowered?[] inputs)
    {
        Lowered data = Present(node, inputs, 0, "data"), indices = Present(node, inputs, 1, "indices");
        long[] shape = ShapeOf(data);
        int axis = Axis(node, Attributes(node, "axis").Int("axis") ?? 0, shape.Length);
        long[] indexShape = ShapeOf(indices);
        long[] result = [.. shape[..axis], .. indexShape, .. shape[(axis + 1)..]];
        switch (data, indices)
        {
            case (Known d, Known i):
            {
                long[] ids = i.Tensor.AsInts().Select(v => v < 0 ? v + shape[axis] : v).ToArray();
                if (ids.Any(v => v < 0 || v >= shape[axis]))
                    throw Fail(node, $"gathers index outside 0..{shape[axis] - 1}");
                return [new Known(d.Tensor.Gather(result, index =>
                {
                    long flatIndex = 0;
                    for (int k = 0; k < indexShape.Length; k++)
                        flatIndex = flatIndex * indexShape[k] + index[axis + k];
                    long[] from = [.. index[..axis], ids[flatIndex], .. index[(axis + indexShape.Length)..]];
                    return d.Tensor.Flat(from);
                }))];
            }
            case (Known d, Computed i) when axis == 0 && shape.Length == 2 && d.Tensor.IsFloat && i.Type == GraphElementType.Int64:
                return [Emit(GraphOp.Embedding, node, [Weight(node, d.Tensor, "table"), i.Value], result.Select(v => (int)v).ToArray())];
            case (Computed d, Known i):
            {
                long[] ids = i.Tensor.AsInts().Select(v => v < 0 ? v + shape[axis] : v).ToArray();
                if (ids.Any(v => v < 0 || v >= shape[axis]))
                    throw Fail(node, $"gathers index outside 0..{shape[axis] - 1}");
                long[] idsShape = indexShape.Length == 0 ? [1] : indexShape;
                var attributes = new GraphAttributes().Set("axis", (long)axis).Set("indices", ids).Set("indices_shape", idsShape);
                int[] emitted = [.. shape[..axis].Select(v => (int)v), .. idsShape.Select(v => (int)v), .. shape[(axis + 1)..].Select(v => (int)v)];
                if (d.Type != GraphElementType.Float32)
                    throw Fail(node, "gathers from a computed int64 tensor");
                Computed gathered = Emit(GraphOp.Gather, node, [d.Value], emitted, attributes);
                return [indexShape.Length == 0 ? Reshaped(node, gathered, result) : gathered];
            }
            default:
                throw Fail(node, "gathers with indices computed at run time from a computed tensor; FastRnn gathers rows of a constant table (embedding) or constant positions");
        }
    }

    private Lowered[] Expand(NodeProto node, Lowered?[] inputs)
    {
        ConstTensor x = Const(node, inputs.ElementAtOrDefault(0), "input");
        long[] target = Const(node, inputs.ElementAtOrDefault(1), "shape").AsInts();
        long[] shape = ConstMath.BroadcastShape(x.Shape, target) ?? throw Fail(node, $"expands {x.ShapeText} to {Text(target)}");
        if (ConstMath.Count(shape) > 1 << 26)
            throw Fail(node, $"would make a constant of shape {Text(shape)}");
        return [new Known(ConstMath.Expand(x, shape))];
    }

    private Lowered[] Pad(NodeProto node, Lowered?[] inputs)
    {
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "data");
        var a = Attributes(node, "mode", "pads", "value");
        string mode = a.String("mode") ?? "constant";
        long[] pads = _opset >= 11 ? Const(node, inputs.ElementAtOrDefault(1), "pads").AsInts() : a.Ints("pads") ?? [];
        float value = _opset >= 11 ? (inputs.ElementAtOrDefault(2) is { } v ? Const(node, v, "constant_value").AsFloats()[0] : 0f) : a.Float("value") ?? 0f;
        if (inputs.ElementAtOrDefault(3) is not null)
            throw Fail(node, "pads only some axes (the axes input); FastRnn takes pads for every axis");
        if (pads.Length != 2 * x.Rank || pads.Any(p => p < 0 || p > GraphValue.MaxDimension))
            throw Fail(node, $"has pads {Text(pads)} for rank {x.Rank}; FastRnn takes {2 * x.Rank} non-negative pads");
        long modeCode = mode switch { "constant" => 0, "reflect" => 1, "edge" => 2, _ => throw Fail(node, $"has mode \"{mode}\"; FastRnn pads constant, reflect or edge") };
        int[] shape = x.Shape.Select((d, k) => (int)(d + pads[k] + pads[k + x.Rank])).ToArray();
        return [Emit(GraphOp.Pad, node, [x.Value], shape, new GraphAttributes().Set("pads", pads).Set("mode", modeCode).Set("value", (double)value))];
    }
}
