using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// ONNX LSTM, GRU and RNN nodes as graph nodes that run FastRnn's cells: the weights reordered from ONNX's gate order
/// to PyTorch's (LSTM i, o, f, c → i, f, g, o; GRU z, r, h → r, z, n), the states as graph values.
/// </summary>
internal sealed partial class GraphLowering
{
    // Target gate block t is ONNX block Order[t].
    private static readonly int[] LstmGates = [0, 2, 3, 1];
    private static readonly int[] GruGates = [1, 0, 2];

    private void AddRecurrent(Dictionary<string, Transfer> t)
    {
        t["LSTM"] = (n, i) => Recurrent(n, i, GraphOp.Lstm, 4, LstmGates);
        t["GRU"] = (n, i) => Recurrent(n, i, GraphOp.Gru, 3, GruGates);
        t["RNN"] = (n, i) => Recurrent(n, i, GraphOp.Rnn, 1, [0]);
    }

    private Lowered[] Recurrent(NodeProto node, Lowered?[] inputs, GraphOp op, int gates, int[] order)
    {
        var a = Attributes(node, "activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout", "input_forget", "linear_before_reset");
        string direction = a.String("direction") ?? "forward";
        int d = direction == "bidirectional" ? 2 : 1;
        if (direction is not ("forward" or "reverse" or "bidirectional"))
            throw Fail(node, $"has direction \"{direction}\"");
        if (a.Int("layout") == 1)
            throw Fail(node, "has layout 1 (batch-major); FastRnn's graph recurrent nodes take ONNX's default time-major layout");
        if (a.Int("input_forget") == 1 || a.Has("activation_alpha") || a.Has("activation_beta") || !DefaultActivations(op, a.Strings("activations")))
            throw Fail(node, "has input_forget or activations other than the defaults; convert the recurrent stack alone with `fastrnn convert` (no graph) for those");
        if (inputs.ElementAtOrDefault(7) is not null)
            throw Fail(node, "has peepholes (P); the graph importer runs LSTMs without them");

        Computed x = Runtime(node, inputs.ElementAtOrDefault(0), "X");
        ConstTensor w = Const(node, inputs.ElementAtOrDefault(1), "W"), r = Const(node, inputs.ElementAtOrDefault(2), "R");
        if (x.Rank != 3 || w.Shape.Length != 3 || w.Shape[0] != d || w.Shape[2] != x.Shape[2] || w.Shape[1] % gates != 0)
            throw Fail(node, $"has X {Text(x.LongShape)} and W {w.ShapeText}; expected X (T, B, I) and W ({d}, {gates}·H, I)");
        int h = (int)(w.Shape[1] / gates), steps = x.Shape[0], batch = x.Shape[1], input = x.Shape[2];
        if (a.Int("hidden_size") is { } hs && hs != h)
            throw Fail(node, $"has hidden_size {hs}, but W implies {h}");
        if (!r.HasShape(d, gates * h, h))
            throw Fail(node, $"has R {r.ShapeText}; expected ({d}, {gates * h}, {h})");
        if (inputs.ElementAtOrDefault(4) is { } lengths && Const(node, lengths, "sequence_lens").AsInts().Any(l => l != steps))
            throw Fail(node, $"has sequence_lens other than T = {steps}; graph models run whole sequences");

        int gh = gates * h;
        float[] wih = Reorder(w.AsFloats(), d, order, h * input), whh = Reorder(r.AsFloats(), d, order, h * h);
        int[] operands = new int[7];
        Array.Fill(operands, -1);
        operands[0] = x.Value;
        operands[1] = State(node, inputs.ElementAtOrDefault(5), "initial_h", d, batch, h);
        operands[2] = op == GraphOp.Lstm ? State(node, inputs.ElementAtOrDefault(6), "initial_c", d, batch, h) : -1;
        operands[3] = Weight(node, ConstTensor.Float([d, gh, input], wih), "weight_ih");
        operands[4] = Weight(node, ConstTensor.Float([d, gh, h], whh), "weight_hh");
        if (inputs.ElementAtOrDefault(3) is { } bias)
        {
            float[] b = Const(node, bias, "B").AsFloats();
            if (b.Length != d * 2 * gh)
                throw Fail(node, $"has B of {b.Length} values; expected ({d}, {2 * gh})");
            var bih = new float[d * gh];
            var bhh = new float[d * gh];
            for (int k = 0; k < d; k++)
            {
                Reorder(b.AsSpan(k * 2 * gh, gh).ToArray(), 1, order, h).CopyTo(bih, k * gh);
                Reorder(b.AsSpan(k * 2 * gh + gh, gh).ToArray(), 1, order, h).CopyTo(bhh, k * gh);
            }
            operands[5] = Weight(node, ConstTensor.Float([d, gh], bih), "bias_ih");
            operands[6] = Weight(node, ConstTensor.Float([d, gh], bhh), "bias_hh");
        }
        var attributes = new GraphAttributes().Set("hidden_size", (long)h).Set("directions", (long)d).Set("reverse", direction == "reverse" ? 1L : 0L);
        if (op == GraphOp.Gru)
            attributes.Set("gru_reset_after", a.Int("linear_before_reset") ?? 0);
        if (a.Float("clip") is { } clip)
            attributes.Set("clip", (double)clip);

        // Outputs Y (T, D, B, H), Y_h and Y_c (D, B, H), named after the ONNX outputs.
        int outputs = op == GraphOp.Lstm ? 3 : 2;
        int[] shapes = new int[outputs];
        var results = new Lowered[outputs];
        for (int k = 0; k < outputs; k++)
        {
            string name = k < node.Output.Count && node.Output[k].Length > 0 ? node.Output[k] : $"{NodeName(node)}.{(k == 0 ? "y" : k == 1 ? "y_h" : "y_c")}";
            int[] shape = k == 0 ? [steps, d, batch, h] : [d, batch, h];
            shapes[k] = Value(name, GraphElementType.Float32, shape);
            _producer[shapes[k]] = _graph.Nodes.Count;
            results[k] = new Computed(shapes[k], GraphElementType.Float32, shape);
        }
        _graph.Nodes.Add(new GraphNode(op, NodeName(node), operands, shapes, attributes));
        return results;
    }

    private static bool DefaultActivations(GraphOp op, string[]? activations)
    {
        if (activations is null)
            return true;
        string[] defaults = op switch { GraphOp.Lstm => ["Sigmoid", "Tanh", "Tanh"], GraphOp.Gru => ["Sigmoid", "Tanh"], _ => ["Tanh"] };
        return activations.Select((f, i) => string.Equals(f, defaults[i % defaults.Length], StringComparison.OrdinalIgnoreCase)).All(x => x);
    }

    /// <summary>Per direction, the gate blocks of <paramref name="data"/> (each <paramref name="block"/> values) in <paramref name="order"/>.</summary>
    private static float[] Reorder(float[] data, int directions, int[] order, int block)
    {
        var result = new float[data.Length];
        int per = order.Length * block;
        for (int k = 0; k < directions; k++)
        {
            for (int t = 0; t < order.Length; t++)
                data.AsSpan(k * per + order[t] * block, block).CopyTo(result.AsSpan(k * per + t * block, block));
        }
        return result;
    }

    /// <summary>An initial state: absent (−1, zeros), a constant (stored, never dropped), or a computed value.</summary>
    private int State(NodeProto node, Lowered? value, string name, int d, int batch, int h)
    {
        if (value is null)
            return -1;
        long[] shape = ShapeOf(value);
        if (!shape.SequenceEqual([d, batch, h]))
            throw Fail(node, $"has {name} {Text(shape)}; expected [{d}, {batch}, {h}]");
        return value is Known k ? Weight(node, k.Tensor, name) : Runtime(node, value, name).Value;
    }
}
