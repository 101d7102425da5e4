using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// One vector through an int8 matrix of one segment, restricted to panel ranges as a team of workers takes them (a
/// range starting past the first panel, and one ending in a partial panel), with bias, onto what y holds: every row
/// against the double-precision reference of the quantized operands, and the rows outside the range untouched.
/// </summary>
public class Int8PanelRangeTests
{
    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneVectorOverPanelRanges_MatchesTheDoubleReference(KernelIsa isa)
    {
        var random = new Random(4242);
        KernelSet kernels = KernelSelector.Get(isa);
        foreach ((int rows, int cols) in new[] { (33, 7), (100, 65), (257, 257), (96, 300) })
        {
            float[] w = RandomVector(random, rows * cols), x = RandomVector(random, cols), bias = RandomVector(random, rows);
            var packed = PackedMatrix.Quantize(w, rows, cols, WeightElement.Int8);
            double[] product = Int8Product(w, rows, cols, x);
            int panels = packed.PanelCount;
            foreach ((int first, int count) in new[] { (1, panels - 1), (panels - 1, 1), (0, 1), (1, Math.Max(0, panels - 2)) })
            {
                if (count <= 0)
                    continue;
                float[] initial = RandomVector(random, rows), y = (float[])initial.Clone();
                kernels.MultiplyPanels(packed, x, cols, y, rows, 1, bias, accumulate: true, first, count);
                int start = first * PackedMatrix.PanelRows, end = Math.Min(rows, (first + count) * PackedMatrix.PanelRows);
                for (int r = 0; r < rows; r++)
                {
                    bool inside = r >= start && r < end;
                    double expected = inside ? initial[r] + (bias[r] + product[r]) : initial[r];
                    Assert.True(Math.Abs(expected - y[r]) <= 1e-5 * (1 + Math.Abs(expected)), $"{isa} ({rows}x{cols}) panels [{first}, {first + count}) row {r}: expected {expected}, got {y[r]}");
                }
            }
        }
    }
}
