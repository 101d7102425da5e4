using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The bfloat16 and int8 products of every variant this CPU supports against a double-precision reference computed
/// from the dequantized weights (and, for int8, from activations quantized by the rule the format spec states), over
/// sizes that are not multiples of any vector width or of the four-column quad.
/// </summary>
public class QuantizedKernelTests
{
    private static readonly int[] AwkwardSizes = [1, 3, 7, 8, 9, 15, 17, 31, 33, 63, 65, 100, 257];

    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void BFloat16Multiply_MatchesDoubleReferenceOfDequantizedWeights(KernelIsa isa)
    {
        var random = new Random(2024);
        foreach (int rows in AwkwardSizes)
        {
            foreach (int cols in AwkwardSizes)
            {
                float[] w = RandomVector(random, rows * cols), x = RandomVector(random, cols), bias = RandomVector(random, rows);
                var packed = PackedMatrix.Quantize(w, rows, cols, WeightElement.BFloat16);
                var y = new float[rows];
                KernelSelector.Get(isa).Multiply(packed, x, cols, y, rows, 1, bias, accumulate: false);
                for (int r = 0; r < rows; r++)
                {
                    double expected = bias[r];
                    for (int k = 0; k < cols; k++)
                        expected += (double)BFloat16(w[r * cols + k]) * x[k];
                    Assert.True(Math.Abs(expected - y[r]) <= 1e-6 * Math.Sqrt(cols) + 1e-6, $"{isa} ({rows}x{cols}) row {r}: expected {expected}, got {y[r]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Int8Multiply_MatchesDoubleReferenceOfQuantizedOperands(KernelIsa isa)
    {
        var random = new Random(77);
        foreach (int rows in AwkwardSizes)
        {
            foreach (int cols in AwkwardSizes)
            {
                float[] w = RandomVector(random, rows * cols), x = RandomVector(random, cols);
                var packed = PackedMatrix.Quantize(w, rows, cols, WeightElement.Int8);
                var y = new float[rows];
                KernelSelector.Get(isa).Multiply(packed, x, cols, y, rows, 1, default, accumulate: false);
                double[] expected = Int8Product(w, rows, cols, x);
                for (int r = 0; r < rows; r++)
                    Assert.True(Math.Abs(expected[r] - y[r]) <= 1e-5 * (1 + Math.Abs(expected[r])), $"{isa} ({rows}x{cols}) row {r}: expected {expected[r]}, got {y[r]}");

                // With bias, onto what y holds.
                float[] bias = RandomVector(random, rows), initial = RandomVector(random, rows);
                initial.CopyTo(y, 0);
                KernelSelector.Get(isa).Multiply(packed, x, cols, y, rows, 1, bias, accumulate: true);
                for (int r = 0; r < rows; r++)
                {
                    double e = initial[r] + (bias[r] + expected[r]);
                    Assert.True(Math.Abs(e - y[r]) <= 1e-5 * (1 + Math.Abs(e)), $"{isa} ({rows}x{cols}) row {r} with bias, accumulating: expected {e}, got {y[r]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void QuantizedMultiply_EqualsScalarTwin_ForPairsBlocksStridesAndAccumulation(KernelIsa isa)
    {
        var random = new Random(5);
        foreach (WeightElement element in new[] { WeightElement.BFloat16, WeightElement.Int8 })
        {
            foreach (int rows in new[] { 1, 33, 100 })
            {
                foreach ((int colsA, int colsB) in new[] { (1, 3), (7, 9), (17, 63), (65, 31) })
                {
                    const int count = 3;
                    int cols = colsA + colsB, xStride = cols + 2, yStride = rows + 5;
                    float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
                    float[] x = RandomVector(random, count * xStride), initial = RandomVector(random, count * yStride), bias = RandomVector(random, rows);
                    PackedMatrix pair = Pair(a, colsA, b, colsB, rows, element);
                    foreach (PackedMatrix m in new[] { pair, pair.Columns(colsA, colsB) })
                    {
                        ReadOnlySpan<float> xs = m.Cols == cols ? x : x.AsSpan(colsA);
                        float[] fast = (float[])initial.Clone(), scalar = (float[])initial.Clone();
                        KernelSelector.Get(isa).Multiply(m, xs, xStride, fast, yStride, count, bias, accumulate: true);
                        KernelSelector.Get(KernelIsa.Scalar).Multiply(m, xs, xStride, scalar, yStride, count, bias, accumulate: true);
                        for (int i = 0; i < fast.Length; i++)
                        {
                            // Integer sums are exact, so int8 agrees to the bit; bfloat16 sums floats in another order.
                            double tolerance = element == WeightElement.Int8 ? 0 : 1e-5 * (1 + Math.Abs(scalar[i]));
                            Assert.True(Math.Abs(fast[i] - scalar[i]) <= tolerance, $"{isa} {element} ({rows}x{m.Cols}) element {i}: {fast[i]} vs scalar {scalar[i]}");
                        }
                    }
                }
            }
        }
    }

    /// <summary>Every int8 dot product this CPU can run, including those its default kernel set does not pick (plain
    /// AVX2 where AVX-VNNI exists), against the scalar twin: integer sums, so equal exactly.</summary>
    public static IEnumerable<object[]> Int8Kernels()
    {
        var names = new List<string> { "scalar" };
        if (Int8OpsSsse3.IsSupported)
            names.Add("ssse3");
        if (Int8OpsAvx2.IsSupported)
            names.Add("avx2");
        if (Int8OpsAvxVnni.IsSupported)
            names.Add("avx-vnni");
        if (Int8OpsAvx512.IsSupported)
            names.Add("avx512bw");
        return names.Select(n => new object[] { n });
    }

    [Theory]
    [MemberData(nameof(Int8Kernels))]
    public void Int8Dot_EqualsScalarTwin_ForExtremeAndRandomBytes(string name)
    {
        Int8Kernel kernel = Int8KernelNamed(name);
        Int8Kernel scalar = Int8KernelNamed("scalar");
        var random = new Random(31);
        foreach (int quads in new[] { 1, 2, 3, 7, 16, 33 })
        {
            // All ±127 is the vpmaddubsw worst case (2·127² per int16 pair); the random rounds cover the signs.
            for (int round = 0; round < 4; round++)
            {
                var panel = new sbyte[quads * PackedMatrix.PanelRows * 4];
                var x = new sbyte[quads * 4];
                for (int i = 0; i < panel.Length; i++)
                    panel[i] = round == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
                for (int i = 0; i < x.Length; i++)
                    x[i] = round == 0 ? (sbyte)(i % 3 == 0 ? -127 : 127) : (sbyte)random.Next(-127, 128);
                int[] xQuads = System.Runtime.InteropServices.MemoryMarshal.Cast<sbyte, int>(x).ToArray();
                int[] fast = new int[32], reference = new int[32], rowSums = PanelRowSums(panel, quads);
                kernel.Dot(ref panel[0], ref rowSums[0], kernel.Prepare(xQuads, new int[2 * quads]), quads, ref fast[0]);
                scalar.Dot(ref panel[0], ref rowSums[0], scalar.Prepare(xQuads, new int[2 * quads]), quads, ref reference[0]);
                Assert.Equal(reference, fast);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Int8Kernels))]
    public void Int8DotPanels_ReadAsTwoStreams_EqualsTheScalarTwin_InEitherDirection(string name)
    {
        Int8Kernel kernel = Int8KernelNamed(name);
        Int8Kernel scalar = Int8KernelNamed("scalar");
        var random = new Random(57);
        const int P = PackedMatrix.PanelRows;
        foreach (int quads in new[] { 1, 2, 3, 7, 33 })
        {
            foreach (int panels in new[] { 1, 2, 3, 6, 7 })
            {
                // Panels a stride apart with a gap between them, their own row sums each; all ±127 in the first round.
                int stride = quads * P * 4 + 64;
                var bytes = new sbyte[panels * stride];
                var x = new sbyte[quads * 4];
                bool extreme = quads == 3;
                for (int i = 0; i < bytes.Length; i++)
                    bytes[i] = extreme ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
                for (int i = 0; i < x.Length; i++)
                    x[i] = extreme ? (sbyte)(i % 3 == 0 ? -127 : 127) : (sbyte)random.Next(-127, 128);
                var rowSums = new int[panels * P];
                for (int p = 0; p < panels; p++)
                    PanelRowSums(bytes[(p * stride)..(p * stride + quads * P * 4)], quads).CopyTo(rowSums, p * P);
                int[] xQuads = System.Runtime.InteropServices.MemoryMarshal.Cast<sbyte, int>(x).ToArray();
                var reference = new int[panels * P];
                scalar.DotPanels(ref bytes[0], stride, ref rowSums[0], scalar.Prepare(xQuads, new int[2 * quads]), quads, panels, ref reference[0]);
                foreach (bool reverse in new[] { false, true })
                {
                    var fast = new int[panels * P];
                    kernel.DotPanels(ref bytes[0], stride, ref rowSums[0], kernel.Prepare(xQuads, new int[2 * quads]), quads, panels, ref fast[0], reverse, twoStreams: true);
                    Assert.True(reference.AsSpan().SequenceEqual(fast), $"{name}: {panels} panels of {quads} quads, reverse {reverse}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Int8Kernels))]
    public void Int8Prepare_RefusesABufferTooShortForTheOperandsAndSigns(string name)
    {
        Int8Kernel kernel = Int8KernelNamed(name);
        var e = Assert.Throws<ArgumentException>(() => kernel.Prepare(new int[5], new int[9]));
        Assert.Contains("5 quads need 10", e.Message);
    }

    [Fact]
    public void Int8Pair_QuantizesEachBlockAndItsActivationsOnTheirOwn()
    {
        var random = new Random(11);
        const int rows = 40, colsA = 13, colsB = 20;
        float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB), x = RandomVector(random, colsA + colsB);
        for (int i = 0; i < b.Length; i++)
            b[i] *= 1e-3f; // a block of much smaller weights keeps its own resolution
        PackedMatrix pair = Pair(a, colsA, b, colsB, rows, WeightElement.Int8);
        var y = new float[rows];
        KernelSelector.Get(KernelIsa.Scalar).Multiply(pair, x, x.Length, y, rows, 1, default, accumulate: false);
        double[] ya = Int8Product(a, rows, colsA, x), yb = Int8Product(b, rows, colsB, x, colsA);
        for (int r = 0; r < rows; r++)
            Assert.True(Math.Abs(ya[r] + yb[r] - y[r]) <= 1e-5 * (1 + Math.Abs(y[r])), $"row {r}: expected {ya[r] + yb[r]}, got {y[r]}");
    }

    [Fact]
    public void QuantizeVector_GivesTheSpecsBytes_ForEveryLengthAndForHalfwayValues()
    {
        var random = new Random(8);
        for (int length = 1; length <= 100; length++)
        {
            // Multiples of max/254 land exactly halfway between two bytes: the ties-to-even cases.
            float[] v = Enumerable.Range(0, length).Select(i => i % 3 == 0 ? (float)(random.Next(-254, 255) * 0.5 / 127) : (float)(random.NextDouble() * 2 - 1)).ToArray();
            v[0] = 1f;
            var bytes = new sbyte[length];
            float scale = WeightQuantizer.QuantizeVector(v, bytes);
            (sbyte[] expected, float[] scales) = QuantizeRows(v, 1, length);
            Assert.Equal(scales[0], scale);
            Assert.Equal(expected, bytes);
        }
    }

    [Fact]
    public void Int8Columns_RefusesARangeThatSplitsASegment()
    {
        PackedMatrix pair = Pair(new float[8 * 5], 5, new float[8 * 6], 6, 8, WeightElement.Int8);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pair.Columns(2, 9));
        Assert.Contains("not whole segments", e.Message);
    }
}
