using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Layers with weights: MatMul and Gemm with a constant matrix become Linear, 1-D Conv becomes Conv1d, and
/// BatchNormalization folds into the Conv or Linear before it (or becomes a scale and a shift when nothing can absorb it).
/// </summary>
internal sealed partial class GraphLowering
{
    private void AddLayers(Dictionary<string, Transfer> t)
    {
        t["MatMul"] = MatMul;
        t["Gemm"] = Gemm;
        t["Conv"] = Conv;
        t["BatchNormalization"] = BatchNormalization;
    }

    private Lowered[] MatMul(NodeProto node, Lowered?[] inputs)
    {
        Lowered a = Present(node, inputs, 0, "A"), b = Present(node, inputs, 1, "B");
        if (a is Known ka && b is Known kb && ka.Tensor.Shape.Length == 2 && kb.Tensor.Shape.Length == 2)
        {
            long m = ka.Tensor.Shape[0], k = ka.Tensor.Shape[1], n = kb.Tensor.Shape[1];
            float[] x = ka.Tensor.AsFloats(), w = kb.Tensor.AsFloats();
            var y = new float[m * n];
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++)
                    y[i * n + j] = (float)Enumerable.Range(0, (int)k).Sum(p => (double)x[i * k + p] * w[p * n + j]);
            return [new Known(ConstTensor.Float([m, n], y))];
        }
        if (a is not Computed x2 || b is not Known { Tensor: var weight } || weight.Shape.Length != 2)
            throw Fail(node, "multiplies two computed tensors, or by a matrix that is not 2-D; FastRnn runs MatMul by a constant (K, N) matrix");
        if (x2.Shape[^1] != weight.Shape[0])
            throw Fail(node, $"multiplies {Text(x2.LongShape)} by {weight.ShapeText}");
        return [Linear(node, x2, Transposed(weight), null)];
    }

    private static ConstTensor Transposed(ConstTensor m)
        => m.Gather([m.Shape[1], m.Shape[0]], index => index[1] * m.Shape[1] + index[0]);

    private Computed Linear(NodeProto node, Computed x, ConstTensor weight, ConstTensor? bias)
    {
        int[] inputs = bias is null
            ? [x.Value, Weight(node, weight, "weight")]
            : [x.Value, Weight(node, weight, "weight"), Weight(node, bias, "bias", [weight.Shape[0]])];
        return Emit(GraphOp.Linear, node, inputs, [.. x.Shape[..^1], (int)weight.Shape[0]]);
    }

    private Lowered[] Gemm(NodeProto node, Lowered?[] inputs)
    {
        var a = Attributes(node, "alpha", "beta", "transA", "transB");
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "A");
        ConstTensor b = Const(node, inputs.ElementAtOrDefault(1), "B");
        if (a.Int("transA") == 1 || x.Rank != 2 || b.Shape.Length != 2)
            throw Fail(node, "transposes A or has operands that are not matrices; FastRnn runs Gemm as x · op(B) + C with x (M, K)");
        ConstTensor weight = a.Int("transB") == 1 ? b : Transposed(b); // (N, K)
        if (weight.Shape[1] != x.Shape[1])
            throw Fail(node, $"multiplies {Text(x.LongShape)} by B {b.ShapeText}");
        float alpha = a.Float("alpha") ?? 1f, beta = a.Float("beta") ?? 1f;
        if (alpha != 1f)
            weight = ConstMath.Map(weight, v => v * alpha);
        ConstTensor? bias = null;
        if (inputs.ElementAtOrDefault(2) is { } c)
        {
            ConstTensor ct = Const(node, c, "C");
            if (ct.Count != weight.Shape[0])
                throw Fail(node, $"has C of shape {ct.ShapeText}; FastRnn takes a bias of N = {weight.Shape[0]}");
            bias = beta == 1f ? ct : ConstMath.Map(ct, v => v * beta);
        }
        return [Linear(node, x, weight, bias)];
    }

    private Lowered[] Conv(NodeProto node, Lowered?[] inputs)
    {
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "X");
        ConstTensor w = Const(node, inputs.ElementAtOrDefault(1), "W");
        if (x.Rank != 3 || w.Shape.Length != 3)
            throw Fail(node, $"convolves {Text(x.LongShape)} with W {w.ShapeText}; FastRnn runs 1-D convolutions, X (B, C, L) and W (O, C/group, K)");
        var a = Attributes(node, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        long stride = (a.Ints("strides") ?? [1])[0], dilation = (a.Ints("dilations") ?? [1])[0], group = a.Int("group") ?? 1;
        if (a.Ints("kernel_shape") is { } ks && ks[0] != w.Shape[2])
            throw Fail(node, $"has kernel_shape {Text(ks)} but W {w.ShapeText}");
        long[] pads = a.Ints("pads") ?? [0, 0];
        string autoPad = a.String("auto_pad") ?? "NOTSET";
        long length = x.Shape[2], span = dilation * (w.Shape[2] - 1) + 1;
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            long total = Math.Max(0, ((length + stride - 1) / stride - 1) * stride + span - length);
            pads = autoPad == "SAME_UPPER" ? [total / 2, total - total / 2] : [total - total / 2, total / 2];
        }
        else if (autoPad == "VALID")
            pads = [0, 0];
        else if (autoPad != "NOTSET")
            throw Fail(node, $"has auto_pad \"{autoPad}\"");
        long outLength = (length + pads[0] + pads[1] - span) / stride + 1;
        int[] operands = [x.Value, Weight(node, w, "weight")];
        if (inputs.ElementAtOrDefault(2) is { } bias)
            operands = [.. operands, Weight(node, Const(node, bias, "B"), "bias")];
        var attributes = new GraphAttributes().Set("stride", stride).Set("dilation", dilation).Set("groups", group).Set("pads", pads);
        return [Emit(GraphOp.Conv1d, node, operands, [x.Shape[0], (int)w.Shape[0], (int)outLength], attributes)];
    }

    private Lowered[] BatchNormalization(NodeProto node, Lowered?[] inputs)
    {
        var a = Attributes(node, "epsilon", "momentum", "training_mode", "spatial");
        if (a.Int("training_mode") == 1 || node.Output.Skip(1).Any(o => o.Length > 0))
            throw Fail(node, "is in training mode; FastRnn folds inference-mode batch normalisation");
        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "X");
        float[] scale = Const(node, inputs.ElementAtOrDefault(1), "scale").AsFloats(), shift = Const(node, inputs.ElementAtOrDefault(2), "B").AsFloats();
        float[] mean = Const(node, inputs.ElementAtOrDefault(3), "input_mean").AsFloats(), variance = Const(node, inputs.ElementAtOrDefault(4), "input_var").AsFloats();
        int channels = x.Rank >= 2 ? x.Shape[1] : 0;
        if (channels == 0 || new[] { scale, shift, mean, variance }.Any(v => v.Length != channels))
            throw Fail(node, $"normalises {Text(x.LongShape)} with parameters that do not have one value per channel ({channels})");
        double epsilon = a.Float("epsilon") ?? 1e-5f;
        // y = (x − mean) / sqrt(var + ε) · scale + B = x · s + t with s = scale / sqrt(var + ε), t = B − mean · s.
        var s = new float[channels];
        var t = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sc = scale[c] / Math.Sqrt(variance[c] + epsilon);
            s[c] = (float)sc;
            t[c] = (float)(shift[c] - mean[c] * sc);
        }
        if (_producer.TryGetValue(x.Value, out int n) && UsedOnce(node.Input[0]) && _graph.Nodes[n] is { Op: GraphOp.Conv1d or GraphOp.Linear } layer
            && (layer.Op == GraphOp.Conv1d || x.Rank == 2))
        {
            Notes.Add($"{OnnxErrors.Describe(node)} folded into the {GraphOps.Of(layer.Op).Name} before it");
            float[] w = _graph.Constants[layer.Inputs[1]];
            int perChannel = w.Length / channels;
            var folded = new float[w.Length];
            for (int c = 0; c < channels; c++)
                for (int k = 0; k < perChannel; k++)
                    folded[c * perChannel + k] = w[c * perChannel + k] * s[c];
            float[] b = layer.Input(2) >= 0 ? _graph.Constants[layer.Inputs[2]] : new float[channels];
            float[] bias = b.Select((v, c) => v * s[c] + t[c]).ToArray();
            int[] shape = _graph.Values[layer.Inputs[1]].Shape;
            int weight = Weight(node, ConstTensor.Float(shape.Select(d => (long)d).ToArray(), folded), "folded_weight");
            _graph.Nodes[n] = layer with { Inputs = [layer.Inputs[0], weight, Weight(node, ConstTensor.Float([channels], bias), "folded_bias")] };
            return [x];
        }
        long[] broadcast = [channels, .. Enumerable.Repeat(1L, x.Rank - 2)];
        var mul = new NodeProto(node) { Name = NodeName(node) + ".scale" };
        mul.Output.Clear();
        mul.Output.Add(node.Output[0] + ".scaled");
        Computed scaled = Emit(GraphOp.Mul, mul, [x.Value, Weight(node, ConstTensor.Float(broadcast, s), "scale")], x.Shape);
        return [Emit(GraphOp.Add, node, [scaled.Value, Weight(node, ConstTensor.Float(broadcast, t), "shift")], x.Shape)];
    }
}
