using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Element-wise functions and arithmetic (folded on known values, else graph nodes with NumPy broadcasting), the
/// reductions, Softmax / LogSoftmax and LayerNormalization.
/// </summary>
internal sealed partial class GraphLowering
{
    private static readonly Dictionary<string, (GraphOp Op, Func<double, double> Fold)> UnaryOps = new(StringComparer.Ordinal)
    {
        ["Relu"] = (GraphOp.Relu, x => Math.Max(x, 0)),
        ["Sigmoid"] = (GraphOp.Sigmoid, x => 1 / (1 + Math.Exp(-x))),
        ["Tanh"] = (GraphOp.Tanh, Math.Tanh),
        ["Softplus"] = (GraphOp.Softplus, x => Math.Log(1 + Math.Exp(x))),
        ["Sqrt"] = (GraphOp.Sqrt, Math.Sqrt),
        ["Abs"] = (GraphOp.Abs, Math.Abs),
        ["Exp"] = (GraphOp.Exp, Math.Exp),
        ["Log"] = (GraphOp.Log, Math.Log),
        ["Neg"] = (GraphOp.Neg, x => -x),
        ["Erf"] = (GraphOp.Erf, FastRnn.Graph.Ops.ScalarMath.Erf),
    };

    private static readonly Dictionary<string, (GraphOp Op, Func<long, long, long>? Ints, Func<double, double, double> Floats)> BinaryOps = new(StringComparer.Ordinal)
    {
        ["Add"] = (GraphOp.Add, (a, b) => a + b, (a, b) => a + b),
        ["Sub"] = (GraphOp.Sub, (a, b) => a - b, (a, b) => a - b),
        ["Mul"] = (GraphOp.Mul, (a, b) => a * b, (a, b) => a * b),
        ["Div"] = (GraphOp.Div, (a, b) => b == 0 ? throw new DivideByZeroException() : a / b, (a, b) => a / b),
        ["Pow"] = (GraphOp.Pow, null, Math.Pow),
    };

    private void AddArithmetic(Dictionary<string, Transfer> t)
    {
        foreach ((string name, (GraphOp op, Func<double, double> fold)) in UnaryOps)
            t[name] = (n, i) => Unary(n, i, op, fold);
        t["LeakyRelu"] = (n, i) =>
        {
            double alpha = Attributes(n, "alpha").Float("alpha") ?? 0.01;
            return Unary(n, i, GraphOp.LeakyRelu, x => x >= 0 ? x : alpha * x, new GraphAttributes().Set("alpha", alpha));
        };
        t["Gelu"] = (n, i) =>
        {
            string approximate = Attributes(n, "approximate").String("approximate") ?? "none";
            if (approximate is not ("none" or "tanh"))
                throw Fail(n, $"has approximate = \"{approximate}\"");
            long tanh = approximate == "tanh" ? 1 : 0;
            return Unary(n, i, GraphOp.Gelu, x => FastRnn.Graph.Ops.ScalarMath.Gelu((float)x, tanh == 1), new GraphAttributes().Set("tanh_approximation", tanh));
        };
        foreach ((string name, var ops) in BinaryOps)
            t[name] = (n, i) => Binary(n, i, ops.Op, ops.Ints, ops.Floats);
        t["ReduceMean"] = (n, i) => Reduce(n, i, GraphOp.ReduceMean);
        t["ReduceSum"] = (n, i) => Reduce(n, i, GraphOp.ReduceSum);
        t["ReduceMax"] = (n, i) => Reduce(n, i, GraphOp.ReduceMax);
        t["Softmax"] = (n, i) => Softmax(n, i, GraphOp.Softmax);
        t["LogSoftmax"] = (n, i) => Softmax(n, i, GraphOp.LogSoftmax);
        t["LayerNormalization"] = LayerNormalization;
    }

    private Lowered[] Unary(NodeProto node, Lowered?[] inputs, GraphOp op, Func<double, double> fold, GraphAttributes? attributes = null)
    {
        Lowered x = Present(node, inputs, 0, "input");
        if (x is Known k)
            return [ConstMath.Map(k.Tensor, fold) is var folded ? new Known(folded) : x];
        Computed c = Runtime(node, x, "input");
        if (c.Type != GraphElementType.Float32)
            throw Fail(node, "applies a float function to an int64 value");
        return [Emit(op, node, [c.Value], c.Shape, attributes)];
    }

    private Lowered[] Binary(NodeProto node, Lowered?[] inputs, GraphOp op, Func<long, long, long>? ints, Func<double, double, double> floats)
    {
        Lowered a = Present(node, inputs, 0, "A"), b = Present(node, inputs, 1, "B");
        long[] shape = ConstMath.BroadcastShape(ShapeOf(a), ShapeOf(b)) ?? throw Fail(node, $"combines {Text(ShapeOf(a))} and {Text(ShapeOf(b))}, which do not broadcast");
        if (ConstMath.Count(shape) > GraphValue.MaxElements)
            throw Fail(node, $"would make a tensor of shape {Text(shape)}, more than {GraphValue.MaxElements} elements");
        if (a is Known ka && b is Known kb)
        {
            try
            {
                return [new Known(ConstMath.Binary(ka.Tensor, kb.Tensor, ints, floats) ?? throw Fail(node, $"combines {ka.Tensor.ShapeText} and {kb.Tensor.ShapeText}, which do not broadcast"))];
            }
            catch (DivideByZeroException)
            {
                throw Fail(node, "divides an integer by zero");
            }
        }
        if (op == GraphOp.Add && (TryFuseBias(node, 0, a, b, shape) ?? TryFuseBias(node, 1, b, a, shape)) is { } fused)
            return [fused];
        return [Emit(op, node, [Operand(node, a, "A"), Operand(node, b, "B")], shape.Select(d => (int)d).ToArray())];
    }

    /// <summary>MatMul + Add of a constant vector: the vector becomes the bias of the Linear node (PyTorch's export of nn.Linear on 3-D input).</summary>
    private Computed? TryFuseBias(NodeProto node, int productInput, Lowered product, Lowered bias, long[] shape)
    {
        if (product is not Computed c || bias is not Known { Tensor: { IsFloat: true } t } || !_producer.TryGetValue(c.Value, out int n))
            return null;
        GraphNode linear = _graph.Nodes[n];
        string onnxName = node.Input[productInput];
        int width = c.Shape[^1];
        if (linear.Op != GraphOp.Linear || linear.Inputs.Length != 2 || !UsedOnce(onnxName) || t.Count != width
            || !shape.SequenceEqual(c.LongShape) || t.Shape.Reverse().Skip(1).Any(d => d != 1))
            return null;
        _graph.Nodes[n] = linear with { Inputs = [.. linear.Inputs, Weight(node, t, "bias", [width])] };
        return c;
    }

    private Lowered[] Reduce(NodeProto node, Lowered?[] inputs, GraphOp op)
    {
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "data");
        var a = Attributes(node, "axes", "keepdims", "noop_with_empty_axes");
        bool axesInput = op == GraphOp.ReduceSum ? _opset >= 13 : _opset >= 18;
        long[] axes = axesInput ? (inputs.ElementAtOrDefault(1) is { } v ? Const(node, v, "axes").AsInts() : []) : a.Ints("axes") ?? [];
        if (axes.Length == 0)
        {
            if (a.Int("noop_with_empty_axes") == 1)
                return [x];
            axes = Enumerable.Range(0, x.Rank).Select(k => (long)k).ToArray();
        }
        long[] normalized = axes.Select(k => (long)Axis(node, k, x.Rank)).ToArray();
        bool keep = (a.Int("keepdims") ?? 1) == 1;
        int[] shape = keep ? x.Shape.Select((d, k) => normalized.Contains(k) ? 1 : d).ToArray() : x.Shape.Where((_, k) => !normalized.Contains(k)).ToArray();
        return [Emit(op, node, [x.Value], shape, new GraphAttributes().Set("axes", normalized).Set("keepdims", keep ? 1L : 0L))];
    }

    private Lowered[] Softmax(NodeProto node, Lowered?[] inputs, GraphOp op)
    {
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "input");
        if (_opset < 13)
            throw Fail(node, $"is from opset {_opset}, whose Softmax flattens the axes; FastRnn reads opset 13 and later");
        int axis = Axis(node, Attributes(node, "axis").Int("axis") ?? -1, x.Rank);
        return [Emit(op, node, [x.Value], x.Shape, new GraphAttributes().Set("axis", (long)axis))];
    }

    private Lowered[] LayerNormalization(NodeProto node, Lowered?[] inputs)
    {
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "X");
        var a = Attributes(node, "axis", "epsilon", "stash_type");
        int axis = Axis(node, a.Int("axis") ?? -1, x.Rank);
        if (node.Output.Count > 1 && node.Output.Skip(1).Any(o => o.Length > 0))
            throw Fail(node, "uses the Mean or InvStdDev outputs, which are for training");
        long normalized = x.Shape[axis..].Aggregate(1L, (p, d) => p * d);
        int[] operands = [x.Value, Weight(node, Const(node, inputs.ElementAtOrDefault(1), "scale"), "scale", [normalized])];
        if (inputs.ElementAtOrDefault(2) is { } bias)
            operands = [.. operands, Weight(node, Const(node, bias, "B"), "bias", [normalized])];
        return [Emit(GraphOp.LayerNorm, node, operands, x.Shape, new GraphAttributes().Set("axis", (long)axis).Set("epsilon", (double)(a.Float("epsilon") ?? 1e-5f)))];
    }
}
