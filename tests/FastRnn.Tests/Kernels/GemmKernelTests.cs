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

    [Fact]
    public void PrefetchingTheNextKBlock_ChangesNoBit_AcrossBlocksPanelsAndTiles()
    {
        // Weights over the streaming size fetch each strip's next K block (or the next panel's first) from the second
        // tile on; a hint only. Three K blocks, a partial last panel, one to three tiles, and a panel range, for every
        // vector width this run allows (with every intrinsic off there is none, and products take the scalar reference).
        KernelIsa[] widths = [.. KernelSelector.Supported.Where(isa => isa != KernelIsa.Scalar)];
        if (widths.Length == 0)
        {
            Assert.Equal(KernelIsa.Scalar, KernelSelector.Active);
            return;
        }
        foreach (KernelIsa isa in widths)
            PrefetchChangesNoBit(isa);
    }

    private static void PrefetchChangesNoBit(KernelIsa isa)
    {
        var random = new Random(5);
        const int n = 100, k = 300;
        float[] w = Random(random, n * k), bias = Random(random, n);
        var packed = PackedMatrix.FromRowMajor(w, n, k);
        foreach (int m in new[] { 2, 7, 16 })
        {
            float[] x = Random(random, m * k);
            foreach ((int firstPanel, int panels) in new[] { (0, packed.PanelCount), (1, 2) })
            {
                var with = new float[m * n];
                var without = new float[m * n];
                Gemm(isa, packed, x, k, with, n, m, bias, firstPanel, panels, prefetch: true);
                Gemm(isa, packed, x, k, without, n, m, bias, firstPanel, panels, prefetch: false);
                Assert.True(with.AsSpan().SequenceEqual(without), $"{isa} M={m} panels [{firstPanel}, {firstPanel + panels}): prefetching changed the result");
                for (int row = 0; row < m; row++)
                {
                    for (int col = firstPanel * PackedMatrix.PanelRows; col < Math.Min(n, (firstPanel + panels) * PackedMatrix.PanelRows); col++)
                    {
                        double expected = bias[col];
                        for (int j = 0; j < k; j++)
                            expected += (double)x[row * k + j] * w[col * k + j];
                        Assert.True(Math.Abs(expected - with[row * n + col]) <= 2e-6 * Math.Sqrt(k) + 1e-6, $"{isa} M={m} y[{row},{col}] = {with[row * n + col]}, expected {expected}");
                    }
                }
            }
        }
    }

    private static void Gemm(KernelIsa isa, PackedMatrix w, float[] x, int xStride, float[] y, int yStride, int m, float[] bias, int firstPanel, int panels, bool prefetch)
    {
        ref float x0 = ref x[0], y0 = ref y[0], b0 = ref bias[0];
        switch (isa)
        {
            case KernelIsa.Avx512:
                GemmKernel<SimdOpsAvx512, System.Runtime.Intrinsics.Vector512<float>>.Multiply(w, ref x0, xStride, ref y0, yStride, m, ref b0, true, false, firstPanel, panels, prefetch);
                break;
            case KernelIsa.Avx2:
                GemmKernel<SimdOpsAvx2, System.Runtime.Intrinsics.Vector256<float>>.Multiply(w, ref x0, xStride, ref y0, yStride, m, ref b0, true, false, firstPanel, panels, prefetch);
                break;
            default:
                GemmKernel<SimdOpsVector128, System.Runtime.Intrinsics.Vector128<float>>.Multiply(w, ref x0, xStride, ref y0, yStride, m, ref b0, true, false, firstPanel, panels, prefetch);
                break;
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

    [Theory]
    [MemberData(nameof(Variants))]
    public void ManyRowBlocks_MatchTheDoubleReference_AndEachRowAloneBitForBit(KernelIsa isa)
    {
        // 1,000 rows of K = 300 are 1.2 MB of X, more than half of any L2 this runs on: the product runs block after
        // block of rows. A row's sums are the same FMAs in the same order in any block and any tile, so each equals the
        // row multiplied alone in a tile of six (the row and five neighbours), and the double-precision reference.
        const int m = 1000, n = 70, k = 300;
        Assert.True(GemmKernel<SimdOpsScalar, float>.RowBlock(m, k, KernelSelector.GemmRowBlockBytes) < m, "the product must cover several row blocks");
        var random = new Random(31);
        KernelSet kernels = KernelSelector.Get(isa);
        float[] w = Random(random, n * k), x = Random(random, m * k), bias = Random(random, n);
        var packed = PackedMatrix.FromRowMajor(w, n, k);
        var y = new float[m * n];
        kernels.Multiply(packed, x, k, y, n, m, bias, accumulate: false);
        var six = new float[6 * n];
        double tolerance = 2e-6 * Math.Sqrt(k) + 1e-6;
        for (int first = 0; first < m; first += 97)
        {
            int start = Math.Min(first, m - 6);
            kernels.Multiply(packed, x.AsSpan(start * k, 6 * k), k, six, n, 6, bias, accumulate: false);
            Assert.True(six.AsSpan().SequenceEqual(y.AsSpan(start * n, 6 * n)), $"{isa}: rows {start}..{start + 5} differ from the same rows in a tile of six");
            for (int col = 0; col < n; col++)
            {
                double expected = bias[col];
                for (int j = 0; j < k; j++)
                    expected += (double)x[first * k + j] * w[col * k + j];
                Assert.True(Math.Abs(expected - y[first * n + col]) <= tolerance, $"{isa} y[{first},{col}] = {y[first * n + col]}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(100, 256, 256 << 10, 100)]   // 100 KiB of X fits: one block
    [InlineData(256, 1024, 256 << 10, 66)]   // 1 MiB: four blocks of 64 rows, rounded up to whole tiles
    [InlineData(4096, 512, 256 << 10, 132)]  // 8 MiB: 32 blocks of 128, rounded to 22 tiles
    [InlineData(300, 100_000, 256 << 10, 6)] // not even one row fits: one tile at a time
    [InlineData(7, 100_000, 256 << 10, 6)]
    public void RowBlock_IsTheFewestEqualBlocksThatFit_InWholeTiles(int m, int k, int blockBytes, int expected)
    {
        int rows = GemmKernel<SimdOpsScalar, float>.RowBlock(m, k, blockBytes);
        Assert.Equal(expected, rows);
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
