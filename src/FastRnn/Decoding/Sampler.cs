using System.Numerics.Tensors;

namespace FastRnn.Decoding;

/// <summary>Draws a token from log-probabilities with temperature, top-k and top-p, allocation-free.</summary>
internal static class Sampler
{
    public static void Validate(DecodingOptions options)
    {
        if (!(options.Temperature > 0f) || float.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be positive and finite");
        if (options.TopK < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be 0 (off) or positive");
        if (!(options.TopP > 0f && options.TopP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(options), options.TopP, "TopP must be in (0, 1]");
    }

    /// <summary>Temperature, then top-k, then top-p, then one draw; <paramref name="p"/> (V) is scratch.</summary>
    public static int Sample(ReadOnlySpan<float> logProbs, Span<float> p, DecodingOptions options, ref SplitMix64 random)
    {
        TensorPrimitives.Divide(logProbs, options.Temperature, p);
        Kernels.Softmax.InPlace(p);

        if (options.TopK > 0 && options.TopK < p.Length)
        {
            // The k-th largest probability is the threshold; ties at the threshold stay in.
            float threshold = KthLargest(p, options.TopK);
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < threshold)
                    p[i] = 0f;
            }
        }
        if (options.TopP < 1f)
        {
            // Keep the most likely tokens until their mass reaches p: find the smallest probability that must stay.
            float total = TensorPrimitives.Sum(p), kept = 0f, floor = float.PositiveInfinity;
            while (kept < options.TopP * total)
            {
                float best = 0f;
                for (int i = 0; i < p.Length; i++)
                {
                    if (p[i] < floor && p[i] > best)
                        best = p[i];
                }
                if (best == 0f)
                    break;
                for (int i = 0; i < p.Length; i++)
                {
                    if (p[i] == best)
                        kept += best;
                }
                floor = best;
            }
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < floor)
                    p[i] = 0f;
            }
        }

        double draw = random.NextDouble() * TensorPrimitives.Sum(p), cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0f)
                continue;
            last = i;
            cumulative += p[i];
            if (draw < cumulative)
                return i;
        }
        return last;
    }

    private static float KthLargest(ReadOnlySpan<float> p, int k)
    {
        // k passes of "largest below the previous": O(k·V) without a sort buffer; k is small in practice.
        float bound = float.PositiveInfinity, value = 0f;
        int counted = 0;
        while (counted < k)
        {
            value = float.NegativeInfinity;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < bound && p[i] > value)
                    value = p[i];
            }
            if (float.IsNegativeInfinity(value))
                break;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] == value)
                    counted++;
            }
            bound = value;
        }
        return value;
    }

}
