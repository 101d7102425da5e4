using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The tiled matrix product (several vectors against one packed matrix) of every supported variant against a
/// double-precision reference, over awkward M (vectors), N (rows of W) and K (columns), with strides, a bias and
/// accumulation, and restricted to panel ranges as worker threads call it.
/// </summary>
public class GemmKernelTests
{
    private static readonly int[] Sizes = [1, 3, 7, 17, 31, 33, 100, 257];

    // Rows of X: also every remainder of the six-row tile (2, 6, 12, 14 besides the sizes above).
    private static readonly int[] RowCounts = [1, 2, 3, 6, 7, 12, 14, 17, 31, 33, 100, 257];

    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void ARowsResult_IsTheSameBits_WhateverTheTileItFallsIn(KernelIsa isa)
    {
        // Rows 0 and 1 of X land in tiles of 2 to 6 rows as M grows, and at different positions once M > 6.
        var random = new Random(77);
        KernelSet kernels = KernelSelector.Get(isa);
        const int n = 70, k = 45;
        var packed = PackedMatrix.FromRowMajor(Random(random, n * k), n, k);
        float[] bias = Random(random, n), x = Random(random, 14 * k);
        float[]? first = null;
        for (int m = 2; m <= 14; m++)
        {
            var y = new float[m * n];
            kernels.Multiply(packed, x.AsSpan(0, m * k), k, y, n, m, bias, accumulate: false);
            first ??= y[..(2 * n)];
            Assert.True(first.AsSpan().SequenceEqual(y.AsSpan(0, 2 * n)), $"{isa}: rows 0 and 1 with M = {m} differ from M = 2");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_MatchesDoubleReference_ForAwkwardMnk(KernelIsa isa)
    {
        var random = new Random(2024);
        KernelSet kernels = KernelSelector.Get(isa);
        foreach (int m in RowCounts)
        {
            foreach (int n in Sizes)
            {
                foreach (int k in Sizes)
                {
                    if ((long)m * n * k > 2_000_000)
                        continue; // the largest corner adds nothing the others do not cover, and costs seconds in scalar runs
                    int xStride = k + 3, yStride = n + 2;
                    float[] w = Random(random, n * k), x = Random(random, m * xStride), bias = Random(random, n);
                    float[] y = Random(random, m * yStride), initial = (float[])y.Clone();
                    bool useBias = (m + n + k) % 2 == 0, accumulate = (m + n) % 3 == 0;
                    var packed = PackedMatrix.FromRowMajor(w, n, k);
                    kernels.Multiply(packed, x, xStride, y, yStride, m, useBias ? bias : default, accumulate);

                    double tolerance = 2e-6 * Math.Sqrt(k) + 1e-6;
                    for (int row = 0; row < m; row++)
                    {
                        for (int col = 0; col < n; col++)
                        {
                            double expected = (accumulate ? initial[row * yStride + col] : 0) + (useBias ? bias[col] : 0);
                            for (int j = 0; j < k; j++)
                                expected += (double)x[row * xStride + j] * w[col * k + j];
                            float actual = y[row * yStride + col];
                            Assert.True(Math.Abs(expected - actual) <= tolerance, $"{isa} M={m} N={n} K={k} y[{row},{col}] = {actual}, expected {expected}");
                        }
                        // The gap between rows of Y is not written.
                        for (int col = n; col < yStride; col++)
                            Assert.Equal(initial[row * yStride + col], y[row * yStride + col]);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void MultiplyPanels_OverSplitRanges_EqualsTheWholeProductBitForBit(KernelIsa isa)
    {
        var random = new Random(77);
        KernelSet kernels = KernelSelector.Get(isa);
        foreach ((int m, int n, int k) in new[] { (1, 100, 37), (16, 257, 64), (7, 96, 300) })
        {
            float[] w = Random(random, n * k), x = Random(random, m * k), bias = Random(random, n);
            var packed = PackedMatrix.FromRowMajor(w, n, k);
            var whole = new float[m * n];
            var split = new float[m * n];
            kernels.Multiply(packed, x, k, whole, n, m, bias, accumulate: false);
            int half = packed.PanelCount / 2;
            kernels.MultiplyPanels(packed, x, k, split, n, m, bias, accumulate: false, 0, half);
            kernels.MultiplyPanels(packed, x, k, split, n, m, bias, accumulate: false, half, packed.PanelCount - half);
            Assert.Equal(whole, split);
        }
    }

    [Fact]
    public void MultiplyPanels_OutsideTheMatrix_Throws()
    {
        var packed = PackedMatrix.FromRowMajor(new float[64 * 4], 64, 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(
            () => KernelSelector.Default.MultiplyPanels(packed, new float[4], 4, new float[64], 64, 1, default, false, 1, 2));
        Assert.Contains("panels [1, 3)", e.Message);
    }

    private static float[] Random(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
