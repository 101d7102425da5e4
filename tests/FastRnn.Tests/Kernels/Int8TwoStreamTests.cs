using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// One vector through an int8 [A | B] pair beyond twice the L2, where each block's panels are read as two streams (panel
/// i of the first half of the range beside panel i of the second, a lone middle panel alone): every row against the
/// double-precision reference of the quantized operands, and bit for bit against the tiled product of several vectors
/// (which reads panel by panel), against any split of the panels and against the backward sweep.
/// </summary>
public class Int8TwoStreamTests
{
    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneVector_AgainstAnInt8PairBeyondTheL2_MatchesTheReference_AndTheTiledProduct_ToTheBit(KernelIsa isa)
    {
        // 2,081 rows (66 panels, the last of one row) by 1,001 + 1,030 columns: 4.3 MB of int8, beyond twice any L2 up
        // to 2 MiB; an odd column count leaves a partial last quad in the first block.
        const int rows = 2081, colsA = 1001, colsB = 1030, cols = colsA + colsB;
        var random = new Random(808);
        KernelSet kernels = KernelSelector.Get(isa);
        float[] a = RandomVector(random, rows * colsA), b = RandomVector(random, rows * colsB);
        PackedMatrix pair = Pair(a, colsA, b, colsB, rows, WeightElement.Int8);
        Assert.True(KernelSelector.ReadsAsTwoStreams(pair.WeightBytes));
        int panels = pair.PanelCount;

        float[] x = RandomVector(random, 2 * cols), bias = RandomVector(random, rows), initial = RandomVector(random, 2 * rows);
        float[] whole = initial[..rows];
        kernels.Multiply(pair, x.AsSpan(0, cols), cols, whole, rows, 1, bias, accumulate: true);
        double[] productA = Int8Product(a, rows, colsA, x), productB = Int8Product(b, rows, colsB, x, colsA);
        for (int r = 0; r < rows; r++)
        {
            double expected = initial[r] + (bias[r] + (productA[r] + productB[r]));
            Assert.True(Math.Abs(expected - whole[r]) <= 1e-5 * (1 + Math.Abs(expected)), $"{isa} row {r}: expected {expected}, got {whole[r]}");
        }

        // The tiled product of two vectors reads panel by panel; its first vector's rows are the same bits.
        float[] tiled = (float[])initial.Clone();
        kernels.Multiply(pair, x, cols, tiled, rows, 2, bias, accumulate: true);
        Assert.True(whole.AsSpan().SequenceEqual(tiled.AsSpan(0, rows)), $"{isa}: one vector differs from the tiled product");

        foreach (int cut in new[] { 33, 32, 1, 65 })
        {
            float[] split = initial[..rows];
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, split, rows, 1, bias, accumulate: true, 0, cut);
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, split, rows, 1, bias, accumulate: true, cut, panels - cut);
            Assert.True(whole.AsSpan().SequenceEqual(split), $"{isa}: panels split at {cut} differ from the whole product");
        }
        foreach ((int firstPanel, int count) in new[] { (0, panels), (0, 33), (33, 33), (1, 64) })
        {
            float[] forward = initial[..rows], backward = initial[..rows];
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, forward, rows, 1, bias, accumulate: true, firstPanel, count);
            kernels.MultiplyPanels(pair, x.AsSpan(0, cols), cols, backward, rows, 1, bias, accumulate: true, firstPanel, count, reverse: true);
            Assert.True(forward.AsSpan().SequenceEqual(backward), $"{isa}: panels [{firstPanel}, {firstPanel + count}) backwards differ");
            int start = firstPanel * PackedMatrix.PanelRows, end = Math.Min(rows, (firstPanel + count) * PackedMatrix.PanelRows);
            Assert.True(forward.AsSpan(start, end - start).SequenceEqual(whole.AsSpan(start, end - start)), $"{isa}: panels [{firstPanel}, {firstPanel + count}) differ from the whole product");
            Assert.True(forward.AsSpan(0, start).SequenceEqual(initial.AsSpan(0, start)) && forward.AsSpan(end).SequenceEqual(initial.AsSpan(end, rows - end)),
                $"{isa}: rows outside panels [{firstPanel}, {firstPanel + count}) were written");
        }
    }
}
