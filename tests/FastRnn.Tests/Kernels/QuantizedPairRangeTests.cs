using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// A bfloat16 or int8 [A | B] pair (and each block's view) multiplied one vector at a time over split panel ranges, in
/// both sweep directions, gives each vector the bits the tiled product of all of them gives: the one-vector path runs
/// each block's panels in one pass, the tiled one panel by panel, and neither order may show in the result.
/// </summary>
public class QuantizedPairRangeTests
{
    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.SelectMany(isa => new[] { new object[] { isa, 0 }, new object[] { isa, 1 } });

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneVectorOverPanelRanges_BothDirections_EqualsTheTiledProduct_ToTheBit(KernelIsa isa, int el)
    {
        WeightElement element = el == 0 ? WeightElement.BFloat16 : WeightElement.Int8;
        var random = new Random(1);
        KernelSet k = KernelSelector.Get(isa);
        foreach ((int rows, int colsA, int colsB) in new[] { (100, 37, 65), (129, 5, 3), (33, 64, 1), (257, 300, 130), (32, 9, 4) })
        {
            int cols = colsA + colsB;
            PackedMatrix pair = Pair(RandomVector(random, rows * colsA), colsA, RandomVector(random, rows * colsB), colsB, rows, element);
            foreach (PackedMatrix m in new[] { pair, pair.Columns(colsA, colsB), pair.Columns(0, colsA) })
            {
                int c = m.Cols, off = m.Cols == colsB && c != cols ? colsA : 0;
                int count = 7;
                float[] x = RandomVector(random, count * cols), bias = RandomVector(random, rows), init = RandomVector(random, count * rows);
                ReadOnlySpan<float> xs = x.AsSpan(off);
                float[] tiled = (float[])init.Clone();
                k.Multiply(m, xs, cols, tiled, rows, count, bias, accumulate: true);
                int panels = m.PanelCount;
                foreach (bool reverse in new[] { false, true })
                {
                    float[] alone = (float[])init.Clone();
                    for (int n = 0; n < count; n++)
                    {
                        var xv = x.AsSpan(off + n * cols, c);
                        var yv = alone.AsSpan(n * rows, rows);
                        if (panels >= 3)
                        {
                            k.MultiplyPanels(m, xv, c, yv, rows, 1, bias, true, 0, 1, reverse: reverse);
                            k.MultiplyPanels(m, xv, c, yv, rows, 1, bias, true, 1, panels - 2, reverse: reverse);
                            k.MultiplyPanels(m, xv, c, yv, rows, 1, bias, true, panels - 1, 1, reverse: reverse);
                        }
                        else
                            k.Multiply(m, xv, c, yv, rows, 1, bias, true, reverse: reverse);
                    }
                    Assert.True(tiled.AsSpan().SequenceEqual(alone), $"{isa} {element} ({rows} x {c}), reverse {reverse}");
                }
            }
        }
    }
}
