using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>Keras layout → PyTorch layout for one layer: transpose, reorder GRU gates, split the bias.</summary>
internal static class KerasConversion
{
    // PyTorch gate block g comes from Keras block Order[g]. LSTM i, f, c, o = i, f, g, o; GRU z, r, h → r, z, n.
    private static readonly int[] Identity4 = [0, 1, 2, 3];
    private static readonly int[] GruOrder = [1, 0, 2];
    private static readonly int[] Identity1 = [0];

    public static void AddLayer(Dictionary<string, float[]> result, int layer, KerasLayerWeights w, KerasLayerShape s)
    {
        int[] order = s.Kind switch { RecurrentKind.Lstm => Identity4, RecurrentKind.Gru => GruOrder, _ => Identity1 };
        int units = s.Units;
        result[$"weight_ih_l{layer}"] = TransposeGates(w.Kernel!, order, units);       // (G·U, I)
        result[$"weight_hh_l{layer}"] = TransposeGates(w.RecurrentKernel!, order, units); // (G·U, U)
        if (w.Bias is not { } bias)
            return;
        int gu = s.Gates * units;
        if (s.ResetAfter == true)
        {
            // (2, 3U): row 0 the input bias, row 1 the recurrent bias (the one inside r ⊙ (…) for the n gate).
            result[$"bias_ih_l{layer}"] = ReorderGates(bias.Data.AsSpan(0, gu), order, units);
            result[$"bias_hh_l{layer}"] = ReorderGates(bias.Data.AsSpan(gu, gu), order, units);
        }
        else
        {
            // One bias, added once with the input projection: PyTorch adds b_ih + b_hh, so b_hh is zero. In the
            // reset-before GRU, Keras has no bias on the recurrent side at all, which b_hn = 0 reproduces.
            result[$"bias_ih_l{layer}"] = ReorderGates(bias.Data, order, units);
            result[$"bias_hh_l{layer}"] = new float[gu];
        }
    }

    /// <summary>(In, G·U) column blocks in Keras order → (G·U, In) row blocks in PyTorch order.</summary>
    private static float[] TransposeGates(TensorData m, int[] order, int units)
    {
        int rows = m.Shape[0], cols = m.Shape[1];
        var result = new float[rows * cols];
        for (int g = 0; g < order.Length; g++)
        {
            int from = order[g] * units;
            for (int u = 0; u < units; u++)
            {
                Span<float> dst = result.AsSpan((g * units + u) * rows, rows);
                for (int r = 0; r < rows; r++)
                    dst[r] = m.Data[r * cols + from + u];
            }
        }
        return result;
    }

    private static float[] ReorderGates(ReadOnlySpan<float> v, int[] order, int units)
    {
        var result = new float[order.Length * units];
        for (int g = 0; g < order.Length; g++)
            v.Slice(order[g] * units, units).CopyTo(result.AsSpan(g * units, units));
        return result;
    }
}
