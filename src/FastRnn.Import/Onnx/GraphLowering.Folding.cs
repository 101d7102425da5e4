using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FastRnn.Import;

/// <summary>
/// Shape arithmetic and control flow: operators that only ever see known values once the dynamic inputs are fixed
/// (Shape, Size, Cast, Equal, Not, ConstantOfShape, Range, comparisons and logic), and If, which takes its branch.
/// </summary>
internal sealed partial class GraphLowering
{
    private Dictionary<string, Transfer> Transfers()
    {
        var t = new Dictionary<string, Transfer>(StringComparer.Ordinal)
        {
            ["Constant"] = Constant,
            ["Shape"] = Shape,
            ["Size"] = (n, i) => [new Known(ConstTensor.Int([], [ConstMath.Count(ShapeOf(Present(n, i, 0, "data")))]))],
            ["Cast"] = Cast,
            ["ConstantOfShape"] = ConstantOfShape,
            ["Range"] = Range,
            ["Equal"] = (n, i) => Compare(n, i, (a, b) => a == b),
            ["Greater"] = (n, i) => Compare(n, i, (a, b) => a > b),
            ["Less"] = (n, i) => Compare(n, i, (a, b) => a < b),
            ["GreaterOrEqual"] = (n, i) => Compare(n, i, (a, b) => a >= b),
            ["LessOrEqual"] = (n, i) => Compare(n, i, (a, b) => a <= b),
            ["And"] = (n, i) => Compare(n, i, (a, b) => a != 0 && b != 0),
            ["Or"] = (n, i) => Compare(n, i, (a, b) => a != 0 || b != 0),
            ["Xor"] = (n, i) => Compare(n, i, (a, b) => (a != 0) != (b != 0)),
            ["Not"] = (n, i) => [new Known(ConstTensor.Int(Const(n, i[0], "input").Shape, Const(n, i[0], "input").AsInts().Select(v => v == 0 ? 1L : 0L).ToArray()))],
            ["If"] = If,
        };
        AddMovement(t);
        AddArithmetic(t);
        AddLayers(t);
        AddRecurrent(t);
        return t;
    }

    private Lowered Present(NodeProto node, Lowered?[] inputs, int index, string what)
        => inputs.ElementAtOrDefault(index) ?? throw Fail(node, $"lacks its {what} input");

    private Lowered[] Constant(NodeProto node, Lowered?[] inputs)
    {
        var a = Attributes(node, "value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value", "value_string", "value_strings");
        if (a.Tensor("value") is { } tensor)
            return [new Known(OnnxTensorReader.Read(_source, tensor, node.Output[0], _external))];
        if (a.Float("value_float") is { } f)
            return [new Known(ConstTensor.Float([], [f]))];
        if (a.Floats("value_floats") is { } fs)
            return [new Known(ConstTensor.Float([fs.Length], fs))];
        if (a.Int("value_int") is { } i)
            return [new Known(ConstTensor.Int([], [i]))];
        if (a.Ints("value_ints") is { } ints)
            return [new Known(ConstTensor.Int([ints.Length], ints))];
        throw Fail(node, "has no numeric value (sparse and string constants are not supported)");
    }

    private Lowered[] Shape(NodeProto node, Lowered?[] inputs)
    {
        long[] shape = ShapeOf(Present(node, inputs, 0, "data"));
        var a = Attributes(node, "start", "end");
        int rank = shape.Length;
        int start = Math.Clamp(NormalizeAxis(a.Int("start") ?? 0, rank), 0, rank);
        int end = Math.Clamp(a.Int("end") is { } e ? NormalizeAxis(e, rank) : rank, 0, rank);
        long[] part = shape[start..Math.Max(start, end)];
        return [new Known(ConstTensor.Int([part.Length], part))];
    }

    private Lowered[] Cast(NodeProto node, Lowered?[] inputs)
    {
        var to = (DataType)(Attributes(node, "to", "saturate").Int("to") ?? throw Fail(node, "lacks attribute 'to'"));
        bool toFloat = to is DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16;
        switch (Present(node, inputs, 0, "input"))
        {
            case Known { Tensor: var t }:
                if (toFloat)
                    return [new Known(ConstTensor.Float(t.Shape, t.AsFloats()))];
                long[] ints = to == DataType.Bool ? t.AsFloats().Select(v => v != 0 ? 1L : 0L).ToArray() : t.AsInts();
                return [new Known(ConstTensor.Int(t.Shape, ints))];
            case Computed c when toFloat == (c.Type == FastRnn.Graph.GraphElementType.Float32):
                return [c]; // float to float (or int64 to int64): nothing to do in FastRnn's element types
            default:
                throw Fail(node, $"casts a computed value to {to}; FastRnn casts only values known at convert time");
        }
    }

    private Lowered[] ConstantOfShape(NodeProto node, Lowered?[] inputs)
    {
        long[] shape = Const(node, inputs.ElementAtOrDefault(0), "shape").AsInts();
        if (shape.Any(d => d < 0) || ConstMath.Count(shape) > 1 << 26)
            throw Fail(node, $"has shape {ConstTensor.Int([shape.Length], shape).ShapeText}");
        ConstTensor value = Attributes(node, "value").Tensor("value") is { } v ? OnnxTensorReader.Read(_source, v, node.Output[0], _external) : ConstTensor.Float([1], [0f]);
        if (value.Count != 1)
            throw Fail(node, "has a value that is not one element");
        int count = (int)ConstMath.Count(shape);
        return [new Known(value.IsFloat
            ? ConstTensor.Float(shape, Enumerable.Repeat(value.Floats![0], count).ToArray())
            : ConstTensor.Int(shape, Enumerable.Repeat(value.Ints![0], count).ToArray()))];
    }

    private Lowered[] Range(NodeProto node, Lowered?[] inputs)
    {
        ConstTensor start = Const(node, inputs.ElementAtOrDefault(0), "start"), limit = Const(node, inputs.ElementAtOrDefault(1), "limit"), delta = Const(node, inputs.ElementAtOrDefault(2), "delta");
        double s = start.AsFloats()[0], l = limit.AsFloats()[0], d = delta.AsFloats()[0];
        if (d == 0)
            throw Fail(node, "has delta 0");
        long count = Math.Max((long)Math.Ceiling((l - s) / d), 0);
        if (count > 1 << 24)
            throw Fail(node, $"would make {count} elements");
        if (start.IsFloat)
            return [new Known(ConstTensor.Float([count], Enumerable.Range(0, (int)count).Select(k => (float)(s + k * d)).ToArray()))];
        long si = start.Ints![0], di = delta.Ints![0];
        return [new Known(ConstTensor.Int([count], Enumerable.Range(0, (int)count).Select(k => si + k * di).ToArray()))];
    }

    private Lowered[] Compare(NodeProto node, Lowered?[] inputs, Func<double, double, bool> test)
    {
        ConstTensor a = Const(node, inputs.ElementAtOrDefault(0), "A"), b = Const(node, inputs.ElementAtOrDefault(1), "B");
        if (ConstMath.BroadcastShape(a.Shape, b.Shape) is { } shape && ConstMath.Count(shape) > FastRnn.Graph.GraphValue.MaxElements)
            throw Fail(node, $"compares shapes {a.ShapeText} and {b.ShapeText} into more than {FastRnn.Graph.GraphValue.MaxElements} elements");
        return [new Known(ConstMath.Compare(a, b, test) ?? throw Fail(node, $"compares shapes {a.ShapeText} and {b.ShapeText}, which do not broadcast"))];
    }

    /// <summary>An If whose condition is known: the branch it takes is walked in place, its outputs become the If's.</summary>
    private Lowered[] If(NodeProto node, Lowered?[] inputs)
    {
        ConstTensor condition = Const(node, inputs.ElementAtOrDefault(0), "condition");
        if (condition.Count != 1)
            throw Fail(node, $"has a condition of shape {condition.ShapeText}; expected one element");
        bool taken = condition.AsFloats()[0] != 0;
        var a = Attributes(node, "then_branch", "else_branch");
        AttributeProto branch = node.Attribute.FirstOrDefault(x => x.Name == (taken ? "then_branch" : "else_branch")) ?? throw Fail(node, $"lacks its {(taken ? "then" : "else")}_branch");
        Walk(branch.G);
        Notes.Add($"{OnnxErrors.Describe(node)}: the condition is {(taken ? "true" : "false")}; took {branch.Name}");
        return branch.G.Output.Select(o => Lookup(node, o.Name)).ToArray();
    }
}
