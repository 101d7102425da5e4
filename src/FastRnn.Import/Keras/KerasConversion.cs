using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>Keras layout → PyTorch layout for one layer: transpose, reorder GRU gates, split the bias.</summary>
internal static class KerasConversion
{
    public static void AddLayer(Dictionary<string, float[]> result, int layer, KerasLayerWeights w, KerasLayerShape s)
    {
        GateOrder order = GateOrder.Keras(s.Kind);
        int units = s.Units;
        void Add(RecurrentParameterRole role, float[] data) => result[RecurrentParameterSchema.Name(role, layer, 0)] = data;
        Add(RecurrentParameterRole.InputWeights, TransposeGates(w.Kernel!, order, units));        // (G·U, I)
        Add(RecurrentParameterRole.RecurrentWeights, TransposeGates(w.RecurrentKernel!, order, units)); // (G·U, U)
        if (w.Bias is not { } bias)
            return;
        int gu = s.Gates * units;
        if (s.ResetAfter == true)
        {
            // (2, 3U): row 0 the input bias, row 1 the recurrent bias (the one inside r ⊙ (…) for the n gate).
            Add(RecurrentParameterRole.InputBias, order.ToPyTorch(bias.Data.AsSpan(0, gu), units));
            Add(RecurrentParameterRole.RecurrentBias, order.ToPyTorch(bias.Data.AsSpan(gu, gu), units));
        }
        else
        {
            // One bias, added once with the input projection: PyTorch adds b_ih + b_hh, so b_hh is zero. In the
            // reset-before GRU, Keras has no bias on the recurrent side at all, which b_hn = 0 reproduces.
            Add(RecurrentParameterRole.InputBias, order.ToPyTorch(bias.Data, units));
            Add(RecurrentParameterRole.RecurrentBias, new float[gu]);
        }
    }

    /// <summary>(In, G·U) column blocks in Keras order → (G·U, In) row blocks in PyTorch order.</summary>
    private static float[] TransposeGates(TensorData m, GateOrder order, int units)
    {
        int rows = m.Shape[0], cols = m.Shape[1];
        var result = new float[rows * cols];
        for (int g = 0; g < order.Gates.Count; g++)
        {
            int from = order.SourceBlock(g) * units;
            for (int u = 0; u < units; u++)
            {
                Span<float> dst = result.AsSpan((g * units + u) * rows, rows);
                for (int r = 0; r < rows; r++)
                    dst[r] = m.Data[r * cols + from + u];
            }
        }
        return result;
    }
}
