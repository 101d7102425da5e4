using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The bfloat16 and int8 products of several vectors at once (the tiled kernels: a sequence's input projection, a
/// batch, a beam) on every variant this CPU supports: against a double-precision reference from the dequantized
/// weights, and to the bit against the same vectors multiplied one at a time — and, for int8, against the scalar
/// twin — over awkward vector counts, shapes, strides, bias, accumulation, K blocks and panel ranges.
/// </summary>
public class QuantizedTileKernelTests
{
    private static readonly int[] Counts = [1, 2, 3, 5, 7, 10, 17, 33];
    private static readonly int[] Sizes = [1, 3, 31, 33, 100, 257];

    /// <summary>Each variant with each quantized element type, by name (the element enum is internal to the engine).</summary>
    public static IEnumerable<object[]> VariantsAndElements() =>
        KernelSelector.Supported.SelectMany(isa => new[] { new object[] { isa, "bfloat16" }, new object[] { isa, "int8" } });

    private static WeightElement Element(string name) => name == "int8" ? WeightElement.Int8 : WeightElement.BFloat16;

    /// <summary>Every count × rows × cols of the awkward sizes, and a few shapes longer than one K block of each kernel
    /// (bfloat16: 256 columns; int8: 128 quads, 512 columns), ending in partial blocks.</summary>
    private static IEnumerable<(int Count, int Rows, int Cols)> Shapes()
    {
        foreach (int count in Counts)
        {
            foreach (int rows in Sizes)
            {
                foreach (int cols in Sizes)
                    yield return (count, rows, cols);
            }
        }
        yield return (2, 40, 600);
        yield return (7, 33, 1100);
        yield return (5, 64, 1029);
    }

    [Theory]
    [MemberData(nameof(VariantsAndElements))]
    public void MultiplySeveralVectors_MatchesDoubleReference_AndEqualsEachVectorAloneBitForBit(KernelIsa isa, string elementName)
    {
        WeightElement element = Element(elementName);
        var random = new Random(element == WeightElement.Int8 ? 41 : 42);
        KernelSet kernels = KernelSelector.Get(isa), scalar = KernelSelector.Get(KernelIsa.Scalar);
        foreach ((int count, int rows, int cols) in Shapes())
        {
            int xStride = cols + 3, yStride = rows + 2;
            float[] w = RandomVector(random, rows * cols), x = RandomVector(random, count * xStride), bias = RandomVector(random, rows);
            float[] initial = RandomVector(random, count * yStride);
            bool useBias = (count + rows + cols) % 2 == 0, accumulate = (count + rows) % 3 == 0;
            ReadOnlySpan<float> b = useBias ? bias : default;
            var packed = PackedMatrix.Quantize(w, rows, cols, element);
            string shape = $"{isa} {element} count {count} ({rows}x{cols})";

            float[] together = (float[])initial.Clone(), alone = (float[])initial.Clone();
            kernels.Multiply(packed, x, xStride, together, yStride, count, b, accumulate);
            for (int n = 0; n < count; n++)
                kernels.Multiply(packed, x.AsSpan(n * xStride, cols), cols, alone.AsSpan(n * yStride, rows), rows, 1, b, accumulate);
            // Bit for bit, and the gaps between the rows of y (which the one-vector calls cannot reach) untouched.
            Assert.True(together.AsSpan().SequenceEqual(alone), $"{shape}: several vectors at once differ from one at a time");
            if (element == WeightElement.Int8)
            {
                float[] twin = (float[])initial.Clone();
                scalar.Multiply(packed, x, xStride, twin, yStride, count, b, accumulate);
                Assert.True(together.AsSpan().SequenceEqual(twin), $"{shape}: differs from the scalar twin");
            }

            for (int n = 0; n < count; n++)
            {
                double[] product = element == WeightElement.Int8
                    ? Int8Product(w, rows, cols, x, n * xStride)
                    : BFloat16Product(w, rows, cols, x, n * xStride);
                for (int r = 0; r < rows; r++)
                {
                    double expected = (accumulate ? initial[n * yStride + r] : 0) + (useBias ? bias[r] : 0) + product[r];
                    double tolerance = element == WeightElement.Int8
                        ? 1e-5 * (1 + Math.Abs(expected))
                        : 2e-6 * Math.Sqrt(cols) + 1e-6 * (1 + Math.Abs(expected));
                    float actual = together[n * yStride + r];
                    Assert.True(Math.Abs(expected - actual) <= tolerance, $"{shape} y[{n}, {r}] = {actual}, expected {expected}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(VariantsAndElements))]
    public void MultiplyPanels_SeveralVectorsOverSplitRanges_EqualsTheWholeProductBitForBit(KernelIsa isa, string elementName)
    {
        WeightElement element = Element(elementName);
        var random = new Random(77);
        KernelSet kernels = KernelSelector.Get(isa);
        foreach ((int count, int rows, int cols) in new[] { (2, 100, 37), (7, 257, 64), (17, 96, 300), (5, 129, 700) })
        {
            float[] w = RandomVector(random, rows * cols), x = RandomVector(random, count * cols), bias = RandomVector(random, rows);
            var packed = PackedMatrix.Quantize(w, rows, cols, element);
            var whole = new float[count * rows];
            var split = new float[count * rows];
            kernels.Multiply(packed, x, cols, whole, rows, count, bias, accumulate: false);
            // Three ranges, as a team of workers would take them: the first panel alone, up to the middle, the rest.
            int panels = packed.PanelCount, half = Math.Max(1, panels / 2);
            kernels.MultiplyPanels(packed, x, cols, split, rows, count, bias, accumulate: false, 0, 1);
            kernels.MultiplyPanels(packed, x, cols, split, rows, count, bias, accumulate: false, 1, half - 1);
            kernels.MultiplyPanels(packed, x, cols, split, rows, count, bias, accumulate: false, half, panels - half);
            Assert.Equal(whole, split);
        }
    }

    [Theory]
    [MemberData(nameof(VariantsAndElements))]
    public void MultiplySeveralVectors_OverPairsAndTheirColumnViews_EqualsEachVectorAloneBitForBit(KernelIsa isa, string elementName)
    {
        WeightElement element = Element(elementName);
        var random = new Random(9);
        KernelSet kernels = KernelSelector.Get(isa);
        const int rows = 33;
        foreach ((int colsA, int colsB) in new[] { (1, 3), (17, 63), (65, 31), (300, 257) })
        {
            foreach (int count in new[] { 2, 5, 9 })
            {
                int cols = colsA + colsB, xStride = cols + 1, yStride = rows + 4;
                PackedMatrix pair = Pair(RandomVector(random, rows * colsA), colsA, RandomVector(random, rows * colsB), colsB, rows, element);
                float[] x = RandomVector(random, count * xStride), initial = RandomVector(random, count * yStride), bias = RandomVector(random, rows);
                foreach (PackedMatrix m in new[] { pair, pair.Columns(colsA, colsB) })
                {
                    ReadOnlySpan<float> xs = m.Cols == cols ? x : x.AsSpan(colsA);
                    float[] together = (float[])initial.Clone(), alone = (float[])initial.Clone();
                    kernels.Multiply(m, xs, xStride, together, yStride, count, bias, accumulate: true);
                    for (int n = 0; n < count; n++)
                        kernels.Multiply(m, xs.Slice(n * xStride, m.Cols), m.Cols, alone.AsSpan(n * yStride, rows), rows, 1, bias, accumulate: true);
                    Assert.True(together.AsSpan().SequenceEqual(alone), $"{isa} {element} ({rows}x{m.Cols}) count {count}: several at once differ from one at a time");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(QuantizedKernelTests.Int8Kernels), MemberType = typeof(QuantizedKernelTests))]
    public void Int8DotTiled_EqualsTheOneVectorScalarTwin_ForExtremeAndRandomBytes(string name)
    {
        Int8Kernel kernel = Int8KernelNamed(name);
        Int8Kernel scalar = Int8KernelNamed("scalar");
        var random = new Random(63);
        foreach (int quads in new[] { 1, 3, 33, 129, 300 })
        {
            foreach (int count in new[] { 1, 2, 3, 4, 5, 9 })
            {
                // Round 0 is all ±127, the vpmaddubsw worst case; the random rounds cover the signs.
                for (int round = 0; round < 3; round++)
                {
                    int xStride = quads + 2;
                    var panel = new sbyte[quads * PackedMatrix.PanelRows * 4];
                    var x = new sbyte[count * xStride * 4];
                    for (int i = 0; i < panel.Length; i++)
                        panel[i] = round == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
                    for (int i = 0; i < x.Length; i++)
                        x[i] = round == 0 ? (sbyte)(i % 3 == 0 ? -127 : 127) : (sbyte)random.Next(-127, 128);
                    int[] xQuads = System.Runtime.InteropServices.MemoryMarshal.Cast<sbyte, int>(x).ToArray();
                    int[] tiled = new int[count * PackedMatrix.PanelRows], reference = new int[count * PackedMatrix.PanelRows];
                    int[] rowSums = PanelRowSums(panel, quads);
                    kernel.DotTiled(ref panel[0], ref rowSums[0], kernel.Prepare(xQuads, new int[2 * xQuads.Length]), xStride, quads, count, ref tiled[0]);
                    for (int n = 0; n < count; n++)
                    {
                        int[] alone = xQuads.AsSpan(n * xStride, quads).ToArray();
                        scalar.Dot(ref panel[0], ref rowSums[0], scalar.Prepare(alone, new int[2 * quads]), quads, ref reference[n * PackedMatrix.PanelRows]);
                    }
                    Assert.True(reference.AsSpan().SequenceEqual(tiled), $"{name}: {count} vectors of {quads} quads, round {round}");
                }
            }
        }
    }
}
