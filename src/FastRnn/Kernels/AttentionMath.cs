using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The element-wise half of an attention step, written once for every vector width: the additive (Bahdanau) scores
/// of one query against S keys, and the context as the weighted sum of S memory rows.
/// </summary>
/// <remarks>
/// Each score is fused into one pass over its key — add, tanh and the dot with v in registers — where separate calls
/// (an add per key, one tanh over the (S, A) block, a dot per key) wrote and re-read the block and paid a dispatch per
/// call: with A = 64 those are four vectors each, and a decoder step runs them for every position of every stream.
/// Lanes a vector does not fill are summed one at a time by the scalar twin's own arithmetic
/// (<see cref="SimdOpsScalar"/>), which runs this same code one lane wide.
/// </remarks>
internal static class AttentionMath<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>
    /// scores[i] = v · tanh(query + keys[i]) + bias for i in 0..positions; query and v are <paramref name="width"/>
    /// floats, keys (positions, width) row-major.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AdditiveScores(ref float query, ref float keys, ref float v, float bias, ref float scores, int positions, int width)
    {
        int whole = width - width % TOps.Width;
        for (int i = 0; i < positions; i++)
        {
            ref float key = ref Unsafe.Add(ref keys, (nint)i * width);
            TVector acc = TOps.Zero;
            for (int a = 0; a < whole; a += TOps.Width)
            {
                nuint u = (uint)a;
                TVector t = Activation<TOps, TVector>.Tanh(TOps.Add(TOps.Load(ref query, u), TOps.Load(ref key, u)));
                acc = TOps.MultiplyAdd(TOps.Load(ref v, u), t, acc);
            }
            float score = TOps.Sum(acc);
            for (int a = whole; a < width; a++)
            {
                float t = Activation<SimdOpsScalar, float>.Tanh(Unsafe.Add(ref query, a) + Unsafe.Add(ref key, a));
                score = SimdOpsScalar.MultiplyAdd(Unsafe.Add(ref v, a), t, score);
            }
            Unsafe.Add(ref scores, i) = score + bias;
        }
    }

    /// <summary>
    /// result (width) = Σ_i weights[i] · rows[i] over i in 0..count, rows (count, width) row-major; each column
    /// summed in row order by the width's multiply–adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedSum(ref float weights, ref float rows, int count, int width, ref float result)
    {
        int w = TOps.Width, c = 0;
        // Four vectors of columns at a time: four independent FMA chains, and every row's cache line used whole.
        for (; c + 4 * w <= width; c += 4 * w)
        {
            TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
            for (int i = 0; i < count; i++)
            {
                TVector s = TOps.Broadcast(Unsafe.Add(ref weights, i));
                ref float row = ref Unsafe.Add(ref rows, (nint)i * width + c);
                a0 = TOps.MultiplyAdd(s, TOps.Load(ref row, 0), a0);
                a1 = TOps.MultiplyAdd(s, TOps.Load(ref row, (uint)w), a1);
                a2 = TOps.MultiplyAdd(s, TOps.Load(ref row, (uint)(2 * w)), a2);
                a3 = TOps.MultiplyAdd(s, TOps.Load(ref row, (uint)(3 * w)), a3);
            }
            TOps.Store(a0, ref result, (uint)c);
            TOps.Store(a1, ref result, (uint)(c + w));
            TOps.Store(a2, ref result, (uint)(c + 2 * w));
            TOps.Store(a3, ref result, (uint)(c + 3 * w));
        }
        for (; c + w <= width; c += w)
        {
            TVector acc = TOps.Zero;
            for (int i = 0; i < count; i++)
                acc = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref weights, i)), TOps.Load(ref rows, (nuint)((nint)i * width + c)), acc);
            TOps.Store(acc, ref result, (uint)c);
        }
        for (; c < width; c++)
        {
            float sum = 0f;
            for (int i = 0; i < count; i++)
                sum = SimdOpsScalar.MultiplyAdd(Unsafe.Add(ref weights, i), Unsafe.Add(ref rows, (nint)i * width + c), sum);
            Unsafe.Add(ref result, c) = sum;
        }
    }
}
