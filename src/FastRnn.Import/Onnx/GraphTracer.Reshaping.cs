using Onnx;

namespace FastRnn.Import;

/// <summary>Reshape, Concat and Slice: the wrappers that can merge, join or cut axes.</summary>
internal sealed partial class GraphTracer
{
    /// <summary>
    /// One entry of a Reshape target: <c>Copy</c> ≥ 0 keeps that input axis (ONNX's 0, or a size read with Shape);
    /// otherwise <c>Length</c> is a known length, or −1 for the inferred rest.
    /// </summary>
    private readonly record struct Target(int Copy, long Length)
    {
        public bool IsInferred => Copy < 0 && Length == -1;
    }

    private TracedValue Reshape(NodeProto node, TracedValue value, TracedValue? shapeValue)
    {
        bool allowZero = Attributes(node, "allowzero").Choice("allowzero", 0, 0, 1) == 1;
        if (value is ZerosValue)
            return value;
        if (shapeValue is null)
            throw Fail(node, "lacks its shape input");
        if (value is ConstValue { Tensor: var c })
        {
            long[] target = ConstInts(node, shapeValue, "shape");
            long[] shape = [.. target];
            for (int i = 0; i < shape.Length; i++)
            {
                // ONNX: a 0 copies the input's dimension at the same position, so there must be one.
                if (shape[i] == 0 && !allowZero)
                    shape[i] = i < c.Shape.Length ? c.Shape[i] : throw Fail(node, $"copies dimension {i} (a 0 in its target shape) of a constant of shape {c.ShapeText}, which has only {c.Shape.Length}");
            }
            if (shape.Count(d => d == -1) == 1)
            {
                long known = Product(shape.Where(d => d != -1));
                shape[Array.IndexOf(shape, -1L)] = known is 0 or -1 ? 0 : c.Count / known;
            }
            if (shape.Any(d => d < 0) || Product(shape) != c.Count)
                throw Fail(node, $"reshapes a constant of shape {c.ShapeText} to [{string.Join(", ", target)}]");
            return new ConstValue(c.WithShape(shape));
        }
        if (value is not StreamValue s)
            throw Fail(node, "reshapes a size vector");

        Target[] targets = shapeValue switch
        {
            DimsValue d => d.Dims.Select((x, i) => x.IsKnown ? Known(x.Value, i) : new Target(Array.IndexOf(s.Axes, x.Axis!.Value), -2)).ToArray(),
            _ => ConstInts(node, shapeValue, "shape").Select(Known).ToArray(),
        };
        if (targets.Any(t => t.Copy < 0 && (t.Length == 0 || t.Length < -1)) || targets.Count(t => t.IsInferred) > 1)
            throw Fail(node, "has a target shape FastRnn cannot follow");
        Target Known(long length, int position) => length switch
        {
            0 when !allowZero => new Target(position, 0),
            _ => new Target(-1, length),
        };

        StreamAxis[] axes = s.Axes;
        var result = new StreamAxis[targets.Length];
        int inferred = Array.FindIndex(targets, t => t.IsInferred);
        int left = 0, right = axes.Length;
        for (int e = 0; e < (inferred < 0 ? targets.Length : inferred); e++)
            result[e] = Take(node, s, targets[e], e, ref left, forward: true);
        if (inferred >= 0)
        {
            for (int e = targets.Length - 1; e > inferred; e--)
                result[e] = Take(node, s, targets[e], e, ref right, forward: false);
            if (right < left)
                throw Fail(node, "reshapes to more axes than there are");
            result[inferred] = Merge(node, axes[left..right]);
        }
        else if (axes[left..].Any(a => !a.IsUnit))
        {
            throw Fail(node, "reshapes to a shape that drops axes FastRnn keeps");
        }
        return s.WithAxes(result);
    }

    /// <summary>The product of non-negative <paramref name="dims"/>, or −1 if any is negative or the product passes 2^63.</summary>
    private static long Product(IEnumerable<long> dims)
    {
        long product = 1;
        foreach (long d in dims)
        {
            if (d < 0 || (d > 0 && product > long.MaxValue / d))
                return -1;
            product *= d;
        }
        return product;
    }

    /// <summary>The input axes one target entry takes, from the left (or, after a −1, from the right), merged into one.</summary>
    private StreamAxis Take(NodeProto node, StreamValue s, Target target, int position, ref int cursor, bool forward)
    {
        StreamAxis[] axes = s.Axes;
        if (target.Copy >= 0)
        {
            int at = forward ? cursor : cursor - 1;
            // ONNX: 0 copies the input's dimension at the same position; a run-time size names the axis it came from.
            if (target.Copy != at || at < 0 || at >= axes.Length)
                throw Fail(node, $"keeps input axis {target.Copy} at output position {position}, moving it past other axes");
            cursor += forward ? 1 : -1;
            return axes[at];
        }
        var group = new List<StreamAxis>();
        long product = 1;
        while (product < target.Length || (target.Length == 1 && group.Count == 0 && Next(cursor) is { IsUnit: true }))
        {
            StreamAxis? next = Next(cursor);
            if (next is not { } a || a.Size < 0)
                throw Fail(node, $"makes an axis of length {target.Length} from axes whose lengths are known only at run time");
            product *= a.Size;
            group.Add(a);
            cursor += forward ? 1 : -1;
        }
        if (product != target.Length)
            throw Fail(node, $"makes output axis {position} of length {target.Length}, which cuts across the input's axes");
        if (!forward)
            group.Reverse();
        return Merge(node, [.. group]);

        StreamAxis? Next(int cursor)
        {
            int at = forward ? cursor : cursor - 1;
            return at >= 0 && at < axes.Length ? axes[at] : null;
        }
    }

    /// <summary>Adjacent axes as one: directions then hidden units become features; length-1 axes vanish.</summary>
    private StreamAxis Merge(NodeProto node, StreamAxis[] group)
    {
        StreamAxis[] kept = group.Where(a => !(a.IsUnit && a.Role != AxisRole.Open)).ToArray();
        return kept switch
        {
            [] => StreamAxis.One,
            [var a] => a,
            [{ Role: AxisRole.Directions } d, { Role: AxisRole.Hidden } h] => new StreamAxis(AxisRole.Features, d.Size * h.Size),
            _ => throw Fail(node, $"merges {string.Join(" and ", kept.Select(Describe))} into one axis, which FastRnn does not follow"),
        };
    }

    private TracedValue Concat(NodeProto node, TracedValue?[] inputs)
    {
        long axisAttribute = Attributes(node, "axis").Int("axis") ?? throw Fail(node, "lacks the attribute 'axis'");
        if (inputs.Length == 0 || inputs.Any(i => i is null))
            throw Fail(node, "has a missing input");
        TracedValue[] values = inputs!;
        if (values.All(v => v is ZerosValue))
            return values[0];
        if (values.All(v => v is StreamValue))
            return ConcatStates(node, values.Cast<StreamValue>().ToArray(), axisAttribute);
        if (values.Any(v => v is DimsValue) && values.All(v => v is DimsValue { IsScalar: false } || v is ConstValue { Tensor.Shape.Length: 1 }))
        {
            Axis(node, axisAttribute, 1);
            return Dims(values.SelectMany(v => v is DimsValue d ? d.Dims : ((ConstValue)v).Tensor.AsInts().Select(Dim.Known)).ToArray());
        }
        if (values.All(v => v is ConstValue))
        {
            ConstTensor[] parts = values.Select(v => ((ConstValue)v).Tensor).ToArray();
            int rank = parts[0].Shape.Length;
            int axis = Axis(node, axisAttribute, rank);
            if (parts.Any(p => p.Shape.Length != rank || p.IsFloat != parts[0].IsFloat || Enumerable.Range(0, rank).Any(k => k != axis && p.Shape[k] != parts[0].Shape[k])))
                throw Fail(node, "concatenates constants whose shapes or types differ");
            long[] shape = [.. parts[0].Shape];
            shape[axis] = parts.Sum(p => p.Shape[axis]);
            ConstTensor all = parts[0].IsFloat
                ? ConstTensor.Float([parts.Sum(p => (long)p.Count)], parts.SelectMany(p => p.Floats!).ToArray())
                : ConstTensor.Int([parts.Sum(p => (long)p.Count)], parts.SelectMany(p => p.Ints!).ToArray());
            long[] starts = new long[parts.Length];
            for (int i = 1; i < parts.Length; i++)
                starts[i] = starts[i - 1] + parts[i - 1].Count;
            return new ConstValue(all.Gather(shape, index =>
            {
                long at = index[axis];
                int part = 0;
                while (at >= parts[part].Shape[axis])
                    at -= parts[part++].Shape[axis];
                long[] local = [.. index];
                local[axis] = at;
                return starts[part] + parts[part].Flat(local);
            }));
        }
        throw Fail(node, "concatenates values FastRnn cannot join (say a sequence with a constant)");
    }

    /// <summary>Final states of consecutive layers joined on their state axis, as PyTorch's exporter builds h_n.</summary>
    private TracedValue ConcatStates(NodeProto node, StreamValue[] parts, long axisAttribute)
    {
        StreamValue first = parts[0];
        int axis = Axis(node, axisAttribute, first.Axes.Length);
        bool states = first.Source.Kind is StreamKind.Hidden or StreamKind.Cell;
        for (int i = 0; i < parts.Length; i++)
        {
            StreamValue p = parts[i];
            if (!states || p.Source.Kind != first.Source.Kind || p.Axes.Length != first.Axes.Length || p.Axes[axis].Role != AxisRole.Slots
                || Enumerable.Range(0, p.Axes.Length).Any(k => k != axis && p.Axes[k].Role != first.Axes[k].Role))
            {
                throw Fail(node, "concatenates sequences or mixes hidden and cell states; FastRnn joins only the final states of layers along their state axis");
            }
            if (i > 0 && p.SlotStart != parts[i - 1].SlotStart + parts[i - 1].SlotCount)
                throw Fail(node, "joins the final states of layers out of order");
        }
        int count = parts.Sum(p => p.SlotCount);
        StreamAxis[] axes = [.. first.Axes];
        axes[axis] = new StreamAxis(AxisRole.Slots, count);
        return first with { Axes = axes, SlotCount = count };
    }

    private TracedValue Slice(NodeProto node, TracedValue?[] inputs)
    {
        long[] starts, ends;
        long[]? axesList, steps = null;
        if (_opset < 10)
        {
            var a = Attributes(node, "starts", "ends", "axes");
            starts = a.Ints("starts") ?? throw Fail(node, "lacks 'starts'");
            ends = a.Ints("ends") ?? throw Fail(node, "lacks 'ends'");
            axesList = a.Ints("axes");
        }
        else
        {
            Attributes(node);
            starts = ConstInts(node, inputs.ElementAtOrDefault(1), "starts");
            ends = ConstInts(node, inputs.ElementAtOrDefault(2), "ends");
            axesList = inputs.ElementAtOrDefault(3) is { } ax ? ConstInts(node, ax, "axes") : null;
            steps = inputs.ElementAtOrDefault(4) is { } st ? ConstInts(node, st, "steps") : null;
        }
        TracedValue value = inputs[0] ?? throw Fail(node, "lacks its data input");
        if (value is ZerosValue)
            return value;
        int rank = value switch
        {
            ConstValue c => c.Tensor.Shape.Length,
            StreamValue s => s.Axes.Length,
            DimsValue d => d.IsScalar ? 0 : 1,
            _ => 0,
        };
        axesList ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axesList.Length != starts.Length || steps.Length != starts.Length || steps.Any(s => s == 0))
            throw Fail(node, "has starts, ends, axes and steps of different lengths, or a zero step");
        int[] axes = axesList.Select(a => Axis(node, a, rank)).ToArray();

        switch (value)
        {
            case DimsValue d:
            {
                (long start, long count) = Range(starts[0], ends[0], steps[0], d.Dims.Length);
                return Dims(Enumerable.Range(0, (int)count).Select(i => d.Dims[(int)(start + i * steps[0])]).ToArray());
            }
            case ConstValue { Tensor: var c }:
            {
                var begin = new long[rank];
                var step = Enumerable.Repeat(1L, rank).ToArray();
                long[] shape = [.. c.Shape];
                for (int i = 0; i < axes.Length; i++)
                {
                    (begin[axes[i]], shape[axes[i]]) = Range(starts[i], ends[i], steps[i], c.Shape[axes[i]]);
                    step[axes[i]] = steps[i];
                }
                return new ConstValue(c.Gather(shape, index =>
                {
                    var from = new long[rank];
                    for (int k = 0; k < rank; k++)
                        from[k] = begin[k] + index[k] * step[k];
                    return c.Flat(from);
                }));
            }
            default:
                return SliceStream(node, (StreamValue)value, axes, starts, ends, steps);
        }
    }

    /// <summary>Slices a stream: a graph input's axis (PyTorch's exporter cuts each layer's h0 out of the stacked input), a state's slots, or a no-op.</summary>
    private TracedValue SliceStream(NodeProto node, StreamValue s, int[] axes, long[] starts, long[] ends, long[] steps)
    {
        StreamAxis[] result = [.. s.Axes];
        int slotStart = s.SlotStart, slotCount = s.SlotCount;
        for (int i = 0; i < axes.Length; i++)
        {
            StreamAxis a = result[axes[i]];
            bool everything = steps[i] == 1 && starts[i] == 0 && (ends[i] >= int.MaxValue || (a.Size >= 0 && ends[i] >= a.Size));
            if (everything)
                continue;
            if (steps[i] != 1)
                throw Fail(node, $"slices {Describe(a)} with step {steps[i]}");
            if (a.Role == AxisRole.Open)
            {
                if (a.SliceStart != 0 || a.SliceCount >= 0 || (a.Size < 0 && (starts[i] < 0 || ends[i] < 0)))
                    throw Fail(node, $"slices {Describe(a)} in a way FastRnn cannot follow");
                (long start, long count) = a.Size >= 0 ? Range(starts[i], ends[i], 1, a.Size) : (starts[i], Math.Max(0, ends[i] - starts[i]));
                result[axes[i]] = a with { SliceStart = start, SliceCount = count, Size = count };
            }
            else if (a.Role == AxisRole.Slots)
            {
                (long start, long count) = Range(starts[i], ends[i], 1, a.Size);
                slotStart += (int)start;
                slotCount = (int)count;
                result[axes[i]] = a with { Size = count };
            }
            else
            {
                throw Fail(node, $"keeps part of {Describe(a)}; FastRnn returns whole sequences: slice its output instead");
            }
        }
        return s with { Axes = result, SlotStart = slotStart, SlotCount = slotCount };
    }

    /// <summary>ONNX Slice's clamping: the first index and the count along an axis of length <paramref name="size"/>.</summary>
    private static (long Start, long Count) Range(long start, long end, long step, long size)
    {
        if (step > 0)
        {
            start = Math.Clamp(start < 0 ? start + size : start, 0, size);
            end = Math.Clamp(end < 0 ? end + size : end, 0, size);
            return (start, Math.Max(0, (end - start + step - 1) / step));
        }
        start = Math.Clamp(start < 0 ? start + size : start, 0, size - 1);
        end = Math.Clamp(end < 0 ? end + size : end, -1, size - 1);
        return (start, Math.Max(0, (start - end - step - 1) / -step));
    }
}
