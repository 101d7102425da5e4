using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The fused attention kernels of every supported variant (additive scores, the weighted sum of memory rows) against
/// plain double-precision formulas, over widths that hit every vector tail and over saturating inputs.
/// </summary>
public class AttentionKernelTests
{
    private static readonly int[] Widths = [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 128, 257];

    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void AdditiveScores_MatchDoubleFormula_ForAwkwardWidthsAndLengths(KernelIsa isa)
    {
        var random = new Random(71);
        foreach (int a in Widths)
        {
            foreach (int s in new[] { 1, 2, 5, 33 })
            {
                // Scale 4 puts many arguments of tanh in its saturated range as well as near 0.
                float[] query = Random(random, a, 4f), keys = Random(random, s * a, 4f), v = Random(random, a, 1f);
                float bias = (float)(random.NextDouble() - 0.5);
                var scores = new float[s];
                KernelSelector.Get(isa).AdditiveScores(query, keys, v, bias, scores);
                for (int i = 0; i < s; i++)
                {
                    double expected = bias, magnitude = Math.Abs(bias);
                    for (int j = 0; j < a; j++)
                    {
                        double term = v[j] * Math.Tanh((double)query[j] + keys[i * a + j]);
                        expected += term;
                        magnitude += Math.Abs(term);
                    }
                    // Each tanh within 4e-7 (CellKernelTests), plus float rounding of the sum: relative to Σ |terms|.
                    double tolerance = 4e-7 * a + 2e-7 * magnitude * Math.Log2(2 * a);
                    Assert.True(Math.Abs(expected - scores[i]) <= tolerance, $"{isa} A={a} S={s} score {i} = {scores[i]}, expected {expected}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void AdditiveScores_KeepNaNAndSaturateAtInfinity(KernelIsa isa)
    {
        const int a = 19; // a whole vector and a tail on every width
        float[] query = new float[a], v = Enumerable.Repeat(1f, a).ToArray();
        float[] keys = new float[4 * a];
        Array.Fill(keys, float.PositiveInfinity, 0, a);         // tanh(+inf) = 1 in every lane: score a
        Array.Fill(keys, float.NegativeInfinity, a, a);         // −a
        keys[2 * a] = float.NaN;                                // a NaN in the first lane of a key
        keys[3 * a + a - 1] = float.NaN;                        // a NaN in the last element, the tail on every width
        var scores = new float[4];
        KernelSelector.Get(isa).AdditiveScores(query, keys, v, 0.5f, scores);
        Assert.Equal(a + 0.5f, scores[0]);
        Assert.Equal(-a + 0.5f, scores[1]);
        Assert.True(float.IsNaN(scores[2]), $"{isa}: a NaN in a key's first lane gave {scores[2]}");
        Assert.True(float.IsNaN(scores[3]), $"{isa}: a NaN in a key's tail gave {scores[3]}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void WeightedSum_MatchesDoubleFormula_ForAwkwardWidthsAndCounts(KernelIsa isa)
    {
        var random = new Random(72);
        foreach (int k in Widths)
        {
            foreach (int s in new[] { 1, 2, 7, 40 })
            {
                float[] weights = Random(random, s, 1f), rows = Random(random, s * k, 3f);
                var result = new float[k];
                Array.Fill(result, float.NaN); // every element must be written
                KernelSelector.Get(isa).WeightedSum(weights, rows, result);
                for (int c = 0; c < k; c++)
                {
                    double expected = 0, magnitude = 0;
                    for (int i = 0; i < s; i++)
                    {
                        expected += (double)weights[i] * rows[i * k + c];
                        magnitude += Math.Abs((double)weights[i] * rows[i * k + c]);
                    }
                    Assert.True(Math.Abs(expected - result[c]) <= 1.2e-7 * s * magnitude + 1e-30,
                        $"{isa} K={k} S={s} result[{c}] = {result[c]}, expected {expected}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void AttentionKernels_RefuseSpansOfTheWrongLength(KernelIsa isa)
    {
        KernelSet kernels = KernelSelector.Get(isa);
        var error = Assert.Throws<ArgumentException>(() => kernels.AdditiveScores(new float[8], new float[15], new float[8], 0f, new float[2]));
        Assert.Contains("keys 15", error.Message);
        error = Assert.Throws<ArgumentException>(() => kernels.AdditiveScores(new float[8], new float[16], new float[7], 0f, new float[2]));
        Assert.Contains("v 7", error.Message);
        error = Assert.Throws<ArgumentException>(() => kernels.WeightedSum(new float[3], new float[11], new float[4]));
        Assert.Contains("rows has 11", error.Message);
    }

    private static float[] Random(Random random, int length, float scale)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return x;
    }
}
