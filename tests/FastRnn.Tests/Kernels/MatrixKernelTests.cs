using FastRnn.Format;
using FastRnn.Tests.Format;
using FastRnn.Kernels;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// Every kernel variant this CPU supports against a double-precision row-major reference and against the scalar twin,
/// over sizes that are not multiples of any vector width (the forced-fallback CI runs cover the variants the
/// default run cannot reach).
/// </summary>
public class MatrixKernelTests
{
    private static readonly int[] AwkwardSizes = [1, 3, 7, 8, 9, 15, 17, 31, 32, 33, 63, 65, 100, 257];

    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_MatchesDoubleReference_ForAwkwardSizes(KernelIsa isa)
    {
        var random = new Random(1234);
        foreach (int rows in AwkwardSizes)
        {
            foreach (int cols in AwkwardSizes)
            {
                float[] w = RandomVector(random, rows * cols);
                float[] x = RandomVector(random, cols);
                var packed = PackedMatrix.FromRowMajor(w, rows, cols);

                var y = new float[rows];
                KernelSelector.Get(isa).Multiply(packed, x, cols, y, rows, 1, default, accumulate: false);

                double[] expected = Reference(w, rows, cols, x);
                // Float32 sums of `cols` terms of size <= 1: the rounding error grows like sqrt(cols) * 2^-24.
                double tolerance = 1e-6 * Math.Sqrt(cols) + 1e-7;
                for (int r = 0; r < rows; r++)
                    Assert.True(Math.Abs(expected[r] - y[r]) <= tolerance, $"{isa} ({rows}x{cols}) row {r}: expected {expected[r]}, got {y[r]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_MatchesScalarTwin_ForBlocksWithStridesAndAccumulation(KernelIsa isa)
    {
        var random = new Random(99);
        foreach (int rows in AwkwardSizes)
        {
            foreach (int cols in new[] { 1, 5, 8, 17, 64, 100 })
            {
                const int count = 3;
                int xStride = cols + 2, yStride = rows + 5;
                float[] w = RandomVector(random, rows * cols);
                float[] x = RandomVector(random, count * xStride);
                float[] initial = RandomVector(random, count * yStride);
                var packed = PackedMatrix.FromRowMajor(w, rows, cols);

                float[] fast = (float[])initial.Clone(), scalar = (float[])initial.Clone();
                KernelSelector.Get(isa).Multiply(packed, x, xStride, fast, yStride, count, default, accumulate: true);
                KernelSelector.Get(KernelIsa.Scalar).Multiply(packed, x, xStride, scalar, yStride, count, default, accumulate: true);

                // Gaps between the rows of y must be left alone.
                Compare.Close(scalar, fast, 1e-5, $"{isa} ({rows}x{cols}) x {count}");
                for (int n = 0; n < count; n++)
                {
                    for (int r = rows; r < yStride; r++)
                        Assert.Equal(initial[n * yStride + r], fast[n * yStride + r]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_WithBiasAndAccumulation_MatchesDoubleReference(KernelIsa isa)
    {
        var random = new Random(31);
        foreach (int rows in AwkwardSizes)
        {
            foreach (int cols in new[] { 1, 3, 16, 37, 100 })
            {
                // One vector takes the GEMV kernel, more the tiled GEMM with a partial last tile.
                foreach (int count in new[] { 1, 5 })
                {
                    float[] w = RandomVector(random, rows * cols), x = RandomVector(random, count * cols), bias = RandomVector(random, rows);
                    float[] initial = RandomVector(random, count * rows);
                    var packed = PackedMatrix.FromRowMajor(w, rows, cols);
                    float[] y = (float[])initial.Clone();
                    KernelSelector.Get(isa).Multiply(packed, x, cols, y, rows, count, bias, accumulate: true);

                    for (int n = 0; n < count; n++)
                    {
                        double[] product = Reference(w, rows, cols, x[(n * cols)..((n + 1) * cols)]);
                        double tolerance = 1e-6 * Math.Sqrt(cols) + 1e-6;
                        for (int r = 0; r < rows; r++)
                        {
                            double expected = initial[n * rows + r] + bias[r] + product[r];
                            Assert.True(Math.Abs(expected - y[n * rows + r]) <= tolerance, $"{isa} ({rows}x{cols}) n={n} row {r}: expected {expected}, got {y[n * rows + r]}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void APairTimesJoinedVectors_MatchesDoubleReference_WithBiasStridesAndAccumulation(KernelIsa isa)
    {
        // [A | B] is stored as its two halves: one vector runs each panel of both into one sum per row, several
        // vectors the tiled product of each half. Both against a row-major double reference of [A | B] · [a ; b].
        var random = new Random(37);
        foreach (int rows in new[] { 1, 31, 32, 33, 100 })
        {
            foreach ((int colsA, int colsB) in new[] { (1, 1), (7, 9), (37, 64), (64, 64), (100, 3) })
            {
                int cols = colsA + colsB;
                foreach (int count in new[] { 1, 2, 7 })
                {
                    int xStride = cols + 3, yStride = rows + 2;
                    float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB), bias = RandomVector(random, rows);
                    float[] x = RandomVector(random, count * xStride), initial = RandomVector(random, count * yStride);
                    var pair = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows);
                    foreach (bool withBias in new[] { false, true })
                    {
                        foreach (bool accumulate in new[] { false, true })
                        {
                            float[] y = (float[])initial.Clone();
                            KernelSelector.Get(isa).Multiply(pair, x, xStride, y, yStride, count, withBias ? bias : default, accumulate);
                            double tolerance = 1e-6 * Math.Sqrt(cols) + 1e-6;
                            for (int n = 0; n < count; n++)
                            {
                                for (int r = 0; r < rows; r++)
                                {
                                    double expected = (accumulate ? initial[n * yStride + r] : 0) + (withBias ? bias[r] : 0);
                                    for (int k = 0; k < colsA; k++)
                                        expected += (double)a[r * colsA + k] * x[n * xStride + k];
                                    for (int k = 0; k < colsB; k++)
                                        expected += (double)b[r * colsB + k] * x[n * xStride + colsA + k];
                                    Assert.True(Math.Abs(expected - y[n * yStride + r]) <= tolerance,
                                        $"{isa} ({rows}; {colsA}|{colsB}) x {count} bias={withBias} accumulate={accumulate} n={n} row {r}: expected {expected}, got {y[n * yStride + r]}");
                                }
                                for (int r = rows; r < yStride; r++)
                                    Assert.Equal(initial[n * yStride + r], y[n * yStride + r]); // gaps in y untouched
                            }
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ABackwardSweep_GivesTheForwardSweepsBits_ForMatricesPairsAndPanelRanges(KernelIsa isa)
    {
        // A step may visit its panels last to first (PanelSweep): every row is still summed within its panel in the
        // same order, so the products must agree to the bit, for float32, bfloat16 and int8 weights, single matrices
        // and pairs, over whole matrices and a worker's panel range alike.
        var random = new Random(53);
        KernelSet kernels = KernelSelector.Get(isa);
        var cases =
            from rows in new[] { 1, 31, 33, 100, 257 }
            from cols in new[] { (A: 7, B: 0), (A: 64, B: 0), (A: 9, B: 17), (A: 64, B: 64) }
            from element in new[] { WeightElement.Float32, WeightElement.BFloat16, WeightElement.Int8 }
            select (rows, cols.A, cols.B, element);
        foreach ((int rows, int colsA, int colsB, WeightElement element) in cases)
        {
            int cols = colsA + colsB;
            float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB), bias = RandomVector(random, rows);
            PackedMatrix w = Packed(element, a, colsA, b, colsB, rows);
            foreach (int count in new[] { 1, 3 })
            {
                float[] x = RandomVector(random, count * cols), initial = RandomVector(random, count * rows);
                foreach ((int first, int panels) in new[] { (0, w.PanelCount), (w.PanelCount / 2, w.PanelCount - w.PanelCount / 2), (0, w.PanelCount / 2) })
                {
                    foreach (bool accumulate in new[] { false, true })
                    {
                        float[] forward = (float[])initial.Clone(), backward = (float[])initial.Clone();
                        kernels.MultiplyPanels(w, x, cols, forward, rows, count, bias, accumulate, first, panels);
                        kernels.MultiplyPanels(w, x, cols, backward, rows, count, bias, accumulate, first, panels, reverse: true);
                        for (int i = 0; i < forward.Length; i++)
                            Assert.True(BitConverter.SingleToInt32Bits(forward[i]) == BitConverter.SingleToInt32Bits(backward[i]),
                                $"{isa} {element} ({rows}; {colsA}|{colsB}) x {count}, panels [{first}, {first + panels}), accumulate={accumulate}: element {i} {forward[i]} against {backward[i]}");
                    }
                }
            }
        }
    }

    // A (rows, colsA) matrix, or with colsB > 0 the pair [A | B], stored as `element`.
    private static PackedMatrix Packed(WeightElement element, float[] a, int colsA, float[] b, int colsB, int rows)
    {
        if (colsB == 0)
            return PackedMatrix.Quantize(a, rows, colsA, element);
        switch (element)
        {
            case WeightElement.BFloat16:
                ushort[] ha = new ushort[a.Length], hb = new ushort[b.Length];
                WeightQuantizer.ToBFloat16(a, ha);
                WeightQuantizer.ToBFloat16(b, hb);
                return PackedMatrix.FromWeightPair(new WeightData(ha), colsA, new WeightData(hb), colsB, rows);
            case WeightElement.Int8:
                sbyte[] qa = new sbyte[a.Length], qb = new sbyte[b.Length];
                float[] sa = new float[rows], sb = new float[rows];
                WeightQuantizer.ToInt8(a, rows, colsA, qa, sa);
                WeightQuantizer.ToInt8(b, rows, colsB, qb, sb);
                return PackedMatrix.FromWeightPair(new WeightData(qa, sa), colsA, new WeightData(qb, sb), colsB, rows);
            default:
                return PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows);
        }
    }

    [Fact]
    public void ColumnsAcrossBothHalvesOfAPair_AreRefused()
    {
        var pair = PackedMatrix.FromRowMajorPair(new float[4 * 3], 3, new float[4 * 5], 5, 4);
        Assert.Equal(2, pair.Columns(1, 2).Cols);
        Assert.Equal(4, pair.Columns(4, 4).Cols);
        Assert.Contains("span both halves", Assert.Throws<ArgumentOutOfRangeException>(() => pair.Columns(2, 3)).Message);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ColumnViewsOfAJoinedMatrix_MultiplyLikeTheSeparateMatrices(KernelIsa isa)
    {
        var random = new Random(17);
        foreach (int rows in new[] { 1, 31, 33, 100 })
        {
            foreach ((int colsA, int colsB) in new[] { (1, 1), (7, 9), (37, 64) })
            {
                float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
                var joined = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows);
                foreach ((PackedMatrix view, float[] source, int cols) in new[] { (joined.Columns(0, colsA), a, colsA), (joined.Columns(colsA, colsB), b, colsB) })
                {
                    float[] x = RandomVector(random, 3 * cols);
                    var viaView = new float[3 * rows];
                    var direct = new float[3 * rows];
                    KernelSelector.Get(isa).Multiply(view, x, cols, viaView, rows, 3, default, accumulate: false);
                    KernelSelector.Get(KernelIsa.Scalar).Multiply(PackedMatrix.FromRowMajor(source, rows, cols), x, cols, direct, rows, 3, default, accumulate: false);
                    Compare.Close(direct, viaView, 1e-5, $"{isa} ({rows}; {colsA}|{colsB}) view of {cols} columns");
                }
                for (int r = 0; r < rows; r++)
                {
                    Assert.Equal(a[r * colsA], joined[r, 0]);
                    Assert.Equal(b[r * colsB + colsB - 1], joined[r, colsA + colsB - 1]);
                }
            }
        }
    }

    [Fact]
    public void FromRowMajor_KeepsEveryElement()
    {
        var random = new Random(7);
        float[] w = RandomVector(random, 37 * 13);
        var packed = PackedMatrix.FromRowMajor(w, 37, 13);
        for (int r = 0; r < 37; r++)
        {
            for (int k = 0; k < 13; k++)
                Assert.Equal(w[r * 13 + k], packed[r, k]);
        }
    }

    [Fact]
    public void Packing_KeepsEveryElement_ForFullAndPartialPanelsAndEveryColumnTail()
    {
        // Full 32-row panels take the 8 × 8 register transposes where AVX is on (columns in blocks of 8, the tail
        // element by element), partial panels the element loop; a pair packs its second matrix at a column offset.
        var random = new Random(71);
        foreach (int rows in new[] { 1, 31, 32, 64, 65, 100 })
        {
            foreach ((int colsA, int colsB) in new[] { (1, 8), (7, 9), (8, 16), (17, 31), (64, 3), (100, 257) })
            {
                float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
                var single = PackedMatrix.FromRowMajor(b, rows, colsB);
                var pair = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows);
                AssertHoldsEveryElement(a, b, single, pair, rows, colsA, colsB, "");
                // The padding rows of a partial last panel are zero, in both halves of the pair.
                foreach ((PackedMatrix half, int cols) in new[] { (pair.First!, colsA), (pair.Second!, colsB), (single, colsB) })
                {
                    ReadOnlySpan<float> last = half.Panel(half.PanelCount - 1);
                    for (int k = 0; k < cols; k++)
                    {
                        for (int r = rows % PackedMatrix.PanelRows; r % PackedMatrix.PanelRows != 0 && r < PackedMatrix.PanelRows; r++)
                            Assert.True(last[k * PackedMatrix.PanelRows + r] == 0f, $"({rows}; {colsA}|{colsB}) padding row {r} of column {k}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Packing_WithStreamingStoresAndChecksums_KeepsEveryElement_AndChecksumsTheSourceBytes()
    {
        // Streaming stores are chosen by size (a matrix that streams from memory); here both kinds are forced. A
        // packer given a SourceChecksum feeds the source's bytes panel by panel, in order, from 0.
        var random = new Random(72);
        foreach (int rows in new[] { 1, 32, 68, 100 })
        {
            foreach ((int colsA, int colsB) in new[] { (1, 8), (13, 17), (64, 3) })
            {
                float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
                foreach (bool stream in new[] { false, true })
                {
                    var checkA = new SourceChecksum(0, a.Length * 4L);
                    var checkB = new SourceChecksum(0, b.Length * 4L);
                    var single = PackedMatrix.FromRowMajor(b, rows, colsB, stream, checkB);
                    Assert.True(checkB.IsComplete && checkB.State == RawCrc(b), $"({rows}, {colsB}) checksum");
                    checkB = new SourceChecksum(0, b.Length * 4L);
                    var pair = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows, stream, checkA, checkB);
                    Assert.True(checkA.IsComplete && checkA.State == RawCrc(a), $"({rows}; {colsA}|{colsB}) checksum of A");
                    Assert.True(checkB.IsComplete && checkB.State == RawCrc(b), $"({rows}; {colsA}|{colsB}) checksum of B");
                    AssertHoldsEveryElement(a, b, single, pair, rows, colsA, colsB, $", streaming stores {stream}");
                }
            }
        }
    }

    // single packs B alone, pair [A | B].
    private static void AssertHoldsEveryElement(float[] a, float[] b, PackedMatrix single, PackedMatrix pair, int rows, int colsA, int colsB, string how)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < colsA; k++)
                Assert.True(a[r * colsA + k] == pair[r, k], $"({rows}; {colsA}|{colsB}{how}) A[{r}, {k}]");
            for (int k = 0; k < colsB; k++)
            {
                Assert.True(b[r * colsB + k] == single[r, k], $"({rows}, {colsB}{how}) [{r}, {k}]");
                Assert.True(b[r * colsB + k] == pair[r, colsA + k], $"({rows}; {colsA}|{colsB}{how}) B[{r}, {k}]");
            }
        }
    }

    private static uint RawCrc(float[] values) => FrnnBytes.ReferenceCrc32CUpdate(0, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    [Fact]
    public void Multiply_WithTooShortDestination_Throws()
    {
        var packed = PackedMatrix.FromRowMajor(new float[10 * 4], 10, 4);
        var e = Assert.Throws<ArgumentException>(() => KernelSelector.Get(KernelSelector.Active).Multiply(packed, new float[4], 4, new float[9], 10, 1, default, false));
        Assert.Contains("(10, 4)", e.Message);
    }

    [Theory]
    [InlineData("scalar", KernelIsa.Scalar)]
    [InlineData(" Scalar ", KernelIsa.Scalar)]
    [InlineData(null, null)]
    public void Choose_HonoursTheEnvironmentVariable(string? forced, KernelIsa? expected)
    {
        KernelIsa chosen = KernelSelector.Choose(forced);
        Assert.Equal(expected ?? KernelSelector.Supported[^1], chosen);
    }

    [Fact]
    public void Active_IsTheVariantThisRunExpects()
    {
        // CI re-runs the suite with DOTNET_EnableAVX2=0 etc. and says which fallback it expects, so a switch that
        // silently stopped working would fail here instead of re-testing the default kernel.
        string? expected = Environment.GetEnvironmentVariable("FASTRNN_EXPECTED_KERNEL")
            ?? Environment.GetEnvironmentVariable(KernelSelector.EnvironmentVariable);
        KernelIsa want = expected is null ? KernelSelector.Supported[^1] : Enum.Parse<KernelIsa>(expected, ignoreCase: true);
        Assert.Equal(want, KernelSelector.Active);
    }

    [Fact]
    public void ForWeights_KeepsTheActiveVariantForCachedMatrices_AndAvx2ForStreamedOnesUnlessForced()
    {
        Assert.Equal(KernelSelector.Active, KernelSelector.ForWeights(KernelSelector.StreamingBytes - 1));
        KernelIsa expected = KernelSelector.Active == KernelIsa.Avx512 && !KernelSelector.IsForced ? KernelIsa.Avx2 : KernelSelector.Active;
        Assert.Equal(expected, KernelSelector.ForWeights(KernelSelector.StreamingBytes));
    }

    [Fact]
    public void Choose_RejectsAnUnknownVariantByName()
    {
        var e = Assert.Throws<InvalidOperationException>(() => KernelSelector.Choose("avx9000"));
        Assert.Contains("avx9000", e.Message);
        Assert.Contains(KernelSelector.EnvironmentVariable, e.Message);
    }

    private static double[] Reference(float[] w, int rows, int cols, float[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int k = 0; k < cols; k++)
                sum += (double)w[r * cols + k] * x[k];
            y[r] = sum;
        }
        return y;
    }

    private static float[] RandomVector(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
