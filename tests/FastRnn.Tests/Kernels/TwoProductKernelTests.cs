using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// Two independent matrix–vector products read side by side (<c>KernelSet.MultiplyTwoPanels</c>, a GRU step's W_ih x and
/// W_hh h) for every supported variant, against a double-precision reference: awkward rows (a partial last panel) and
/// columns (either matrix the wider, by an odd count), with and without biases, over panel ranges, and visiting the
/// panels backwards without changing a bit.
/// </summary>
public class TwoProductKernelTests
{
    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void BothProducts_MatchTheDoubleReference_ForAwkwardShapes(KernelIsa isa)
    {
        var random = new Random(404);
        KernelSet kernels = KernelSelector.Get(isa);
        foreach (int rows in new[] { 1, 31, 33, 100, 257 })
        {
            foreach ((int colsA, int colsB) in new[] { (1, 1), (3, 7), (17, 17), (100, 33), (31, 257), (64, 64) })
            {
                bool biasA = (rows + colsA) % 2 == 0, biasB = (rows + colsB) % 3 != 0;
                float[] wa = Random(random, rows * colsA), wb = Random(random, rows * colsB);
                float[] xa = Random(random, colsA), xb = Random(random, colsB), ba = Random(random, rows), bb = Random(random, rows);
                var a = PackedMatrix.FromRowMajor(wa, rows, colsA);
                var b = PackedMatrix.FromRowMajor(wb, rows, colsB);
                float[] ya = Random(random, rows), yb = Random(random, rows);
                kernels.MultiplyTwoPanels(a, xa, ya, biasA ? ba : default, b, xb, yb, biasB ? bb : default, 0, a.PanelCount);
                string shape = $"{isa} rows {rows}, columns {colsA} and {colsB}";
                AssertProduct(wa, xa, biasA ? ba : null, ya, rows, colsA, $"{shape}, A");
                AssertProduct(wb, xb, biasB ? bb : null, yb, rows, colsB, $"{shape}, B");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void PanelRanges_AndTheBackwardSweep_GiveTheWholeProductsBits(KernelIsa isa)
    {
        var random = new Random(405);
        KernelSet kernels = KernelSelector.Get(isa);
        const int rows = 200, colsA = 45, colsB = 130; // seven panels, the last partial
        var a = PackedMatrix.FromRowMajor(Random(random, rows * colsA), rows, colsA);
        var b = PackedMatrix.FromRowMajor(Random(random, rows * colsB), rows, colsB);
        float[] xa = Random(random, colsA), xb = Random(random, colsB), ba = Random(random, rows), bb = Random(random, rows);
        float[] wholeA = new float[rows], wholeB = new float[rows];
        kernels.MultiplyTwoPanels(a, xa, wholeA, ba, b, xb, wholeB, bb, 0, a.PanelCount);

        float[] splitA = new float[rows], splitB = new float[rows];
        kernels.MultiplyTwoPanels(a, xa, splitA, ba, b, xb, splitB, bb, 0, 3, reverse: true);
        kernels.MultiplyTwoPanels(a, xa, splitA, ba, b, xb, splitB, bb, 3, a.PanelCount - 3);
        Assert.Equal(wholeA, splitA);
        Assert.Equal(wholeB, splitB);

        float[] backA = new float[rows], backB = new float[rows];
        kernels.MultiplyTwoPanels(a, xa, backA, ba, b, xb, backB, bb, 0, a.PanelCount, reverse: true);
        Assert.Equal(wholeA, backA);
        Assert.Equal(wholeB, backB);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneVector_AgainstAMatrixBeyondTheL2_ReadsItsHalvesSideBySide_WithTheSameBitsOverAnySplit(KernelIsa isa)
    {
        // 1,057 x 1,100 floats (4.65 MB, 34 panels, the last of one row) lie beyond twice any L2 up to 2 MiB: a product
        // of one vector pairs panel i of the first half of its range with panel i of the second, and a lone panel of an
        // odd range with itself.
        const int rows = 1057, cols = 1100;
        var random = new Random(406);
        KernelSet kernels = KernelSelector.Get(isa);
        float[] w = Random(random, rows * cols), x = Random(random, cols), bias = Random(random, rows), initial = Random(random, rows);
        var packed = PackedMatrix.FromRowMajor(w, rows, cols);
        Assert.True(KernelSelector.ReadsAsTwoStreams(packed.WeightBytes));

        float[] whole = (float[])initial.Clone();
        kernels.Multiply(packed, x, cols, whole, rows, 1, bias, accumulate: true);
        double tolerance = 2e-6 * Math.Sqrt(cols) + 1e-6;
        for (int r = 0; r < rows; r++)
        {
            double expected = initial[r] + bias[r];
            for (int j = 0; j < cols; j++)
                expected += (double)w[r * cols + j] * x[j];
            Assert.True(Math.Abs(expected - whole[r]) <= tolerance, $"{isa}: y[{r}] = {whole[r]}, expected {expected}");
        }

        foreach (int cut in new[] { 17, 16, 1, 33 })
        {
            float[] split = (float[])initial.Clone();
            kernels.MultiplyPanels(packed, x, cols, split, rows, 1, bias, accumulate: true, 0, cut);
            kernels.MultiplyPanels(packed, x, cols, split, rows, 1, bias, accumulate: true, cut, packed.PanelCount - cut);
            Assert.True(whole.AsSpan().SequenceEqual(split), $"{isa}: panels split at {cut} differ from the whole product");
        }

        // A step whose sweep runs backwards (weights in L3, not streaming) takes the pairs last to first: the same bits.
        foreach ((int firstPanel, int panels) in new[] { (0, packed.PanelCount), (0, 17), (17, packed.PanelCount - 17) })
        {
            float[] forward = (float[])initial.Clone(), backward = (float[])initial.Clone();
            kernels.MultiplyPanels(packed, x, cols, forward, rows, 1, bias, accumulate: true, firstPanel, panels);
            kernels.MultiplyPanels(packed, x, cols, backward, rows, 1, bias, accumulate: true, firstPanel, panels, reverse: true);
            Assert.True(forward.AsSpan().SequenceEqual(backward), $"{isa}: panels [{firstPanel}, {firstPanel + panels}) backwards differ");
            if (panels == packed.PanelCount)
                Assert.True(forward.AsSpan().SequenceEqual(whole), $"{isa}: the forward sweep differs from the whole product");
        }
    }

    [Fact]
    public void MatricesOfDifferentRows_OrShortSpans_Throw()
    {
        KernelSet kernels = KernelSelector.Default;
        var a = PackedMatrix.FromRowMajor(new float[64 * 4], 64, 4);
        var b = PackedMatrix.FromRowMajor(new float[32 * 4], 32, 4);
        var rows = Assert.Throws<ArgumentException>(() => kernels.MultiplyTwoPanels(a, new float[4], new float[64], default, b, new float[4], new float[64], default, 0, 1));
        Assert.Contains("same rows", rows.Message);
        var c = PackedMatrix.FromRowMajor(new float[64 * 8], 64, 8);
        var shortX = Assert.ThrowsAny<ArgumentException>(() => kernels.MultiplyTwoPanels(a, new float[4], new float[64], default, c, new float[7], new float[64], default, 0, 2));
        Assert.Contains("7", shortX.Message);
    }

    private static void AssertProduct(float[] w, float[] x, float[]? bias, float[] y, int rows, int cols, string what)
    {
        double tolerance = 2e-6 * Math.Sqrt(cols) + 1e-6;
        for (int r = 0; r < rows; r++)
        {
            double expected = bias?[r] ?? 0;
            for (int j = 0; j < cols; j++)
                expected += (double)w[r * cols + j] * x[j];
            Assert.True(Math.Abs(expected - y[r]) <= tolerance, $"{what}: y[{r}] = {y[r]}, expected {expected}");
        }
    }

    private static float[] Random(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
