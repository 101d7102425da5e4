using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// One vector through a bfloat16 or int8 [A | B] pair beyond twice the L2, where int8 reads each block's panels as two
/// streams (panel i of the first half of the range beside panel i of the second, an odd range's last panel alone) and
/// bfloat16 one panel after another, prefetched: every row against the double-precision reference of the rounded or quantized
/// operands, and bit for bit against the tiled product of several vectors (which reads panel by panel), against any
/// split of the panels and against the backward sweep.
/// </summary>
public class QuantizedTwoStreamTests
{
    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.SelectMany(isa => new[] { new object[] { isa, 0 }, new object[] { isa, 1 } });

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneVector_AgainstAPairBeyondTheL2_MatchesTheReference_AndTheTiledProduct_ToTheBit(KernelIsa isa, int el)
    {
        WeightElement element = el == 0 ? WeightElement.Int8 : WeightElement.BFloat16;
        // 2,081 rows (66 panels, the last of one row) by 1,001 + 1,030 columns: 4.3 MB of int8 or 8.5 MB of bfloat16,
        // beyond twice any L2 up to 2 MiB; odd column counts leave a partial last quad and an odd last column.
        const int rows = 2081, colsA = 1001, colsB = 1030, cols = colsA + colsB;
        var random = new Random(808);
        KernelSet kernels = KernelSelector.Get(isa);
        float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
        PackedMatrix pair = Pair(a, colsA, b, colsB, rows, element);
        Assert.True(KernelSelector.ReadsAsTwoStreams(pair.WeightBytes));
        int panels = pair.PanelCount;

        float[] x = RandomVector(random, 2 * cols), bias = RandomVector(random, rows), initial = RandomVector(random, 2 * rows);
        float[] whole = initial[..rows];
        kernels.Multiply(pair, x.AsSpan(0, cols), cols, whole, rows, 1, bias, accumulate: true);
        double[] productA = element == WeightElement.Int8 ? Int8Product(a, rows, colsA, x) : BFloat16Product(a, rows, colsA, x);
        double[] productB = element == WeightElement.Int8 ? Int8Product(b, rows, colsB, x, colsA) : BFloat16Product(b, rows, colsB, x, colsA);
        // int8: exact integer sums scaled in float; bfloat16: float32 chains over about 1,000 products each.
        double tolerance = element == WeightElement.Int8 ? 1e-5 : 2e-6 * Math.Sqrt(cols);
        for (int r = 0; r < rows; r++)
        {
            double expected = initial[r] + (bias[r] + (productA[r] + productB[r]));
            Assert.True(Math.Abs(expected - whole[r]) <= tolerance * (1 + Math.Abs(expected)), $"{isa} {element} row {r}: expected {expected}, got {whole[r]}");
        }

        // The tiled product of two vectors reads panel by panel; its first vector's rows are the same bits.
        float[] tiled = (float[])initial.Clone();
        kernels.Multiply(pair, x, cols, tiled, rows, 2, bias, accumulate: true);
        Assert.True(whole.AsSpan().SequenceEqual(tiled.AsSpan(0, rows)), $"{isa} {element}: one vector differs from the tiled product");

        foreach (int cut in new[] { 33, 32, 1, 65 })
        {
            float[] split = initial[..rows];
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, split, rows, 1, bias, accumulate: true, 0, cut);
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, split, rows, 1, bias, accumulate: true, cut, panels - cut);
            Assert.True(whole.AsSpan().SequenceEqual(split), $"{isa} {element}: panels split at {cut} differ from the whole product");
        }
        foreach ((int firstPanel, int count) in new[] { (0, panels), (0, 33), (33, 33), (1, 64) })
        {
            float[] forward = initial[..rows], backward = initial[..rows];
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, forward, rows, 1, bias, accumulate: true, firstPanel, count);
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, backward, rows, 1, bias, accumulate: true, firstPanel, count, reverse: true);
            Assert.True(forward.AsSpan().SequenceEqual(backward), $"{isa} {element}: panels [{firstPanel}, {firstPanel + count}) backwards differ");
            int start = firstPanel * PackedMatrix.PanelRows, end = Math.Min(rows, (firstPanel + count) * PackedMatrix.PanelRows);
            Assert.True(forward.AsSpan(start, end - start).SequenceEqual(whole.AsSpan(start, end - start)), $"{isa} {element}: panels [{firstPanel}, {firstPanel + count}) differ from the whole product");
            Assert.True(forward.AsSpan(0, start).SequenceEqual(initial.AsSpan(0, start)) && forward.AsSpan(end).SequenceEqual(initial.AsSpan(end, rows - end)),
                $"{isa} {element}: rows outside panels [{firstPanel}, {firstPanel + count}) were written");
        }
    }
}
