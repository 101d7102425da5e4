using System.Runtime.Intrinsics;
using FastRnn.Kernels;
using static FastRnn.Tests.Kernels.QuantizedReference;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The one-panel bfloat16 kernel of every vector width this CPU runs, with and without its prefetch, against a
/// double-precision sum of the widened weights, over column counts on both sides of the two-column unroll and of the
/// prefetch distance, each panel the last thing in its buffer so that the prefetches point past its end.
/// </summary>
public class BFloat16PanelKernelTests
{
    private const int P = PackedMatrix.PanelRows;

    public static TheoryData<string> Widths()
    {
        var names = new TheoryData<string> { "scalar" };
        if (SimdOpsVector128.IsSupported)
            names.Add("vector128");
        if (SimdOpsAvx2.IsSupported)
            names.Add("avx2");
        if (SimdOpsAvx512.IsSupported)
            names.Add("avx512");
        return names;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Dot_Prefetching_GivesTheSameSums_AndMatchesTheDoubleReference(string width)
    {
        var random = new Random(907);
        int prefetchColumns = BFloat16PanelKernel<SimdOpsScalar, float>.PrefetchBytes / (P * sizeof(ushort));
        foreach (int cols in new[] { 1, 2, 3, 7, 17, prefetchColumns - 1, prefetchColumns, prefetchColumns + 1, 257 })
        {
            var panel = new ushort[cols * P];
            float[] x = RandomVector(random, cols);
            for (int i = 0; i < panel.Length; i++)
                panel[i] = BFloat16Bits((float)(random.NextDouble() * 2 - 1));
            float[] plain = new float[P], prefetched = new float[P];
            Dot(width, panel, x, cols, plain, prefetch: false);
            Dot(width, panel, x, cols, prefetched, prefetch: true);

            Assert.Equal(plain, prefetched);
            for (int r = 0; r < P; r++)
            {
                double expected = 0;
                for (int k = 0; k < cols; k++)
                    expected += (double)BitConverter.UInt32BitsToSingle((uint)panel[k * P + BFloat16Panels.Position(r)] << 16) * x[k];
                Assert.True(Math.Abs(expected - prefetched[r]) <= 1e-6 * Math.Sqrt(cols) + 1e-6,
                    $"{width}, {cols} columns, row {r}: expected {expected}, got {prefetched[r]}");
            }
        }
    }

    private static void Dot(string width, ushort[] panel, float[] x, int cols, float[] acc, bool prefetch)
    {
        switch (width)
        {
            case "scalar":
                BFloat16PanelKernel<SimdOpsScalar, float>.Dot(ref panel[0], ref x[0], cols, ref acc[0], prefetch);
                break;
            case "vector128":
                BFloat16PanelKernel<SimdOpsVector128, Vector128<float>>.Dot(ref panel[0], ref x[0], cols, ref acc[0], prefetch);
                break;
            case "avx2":
                BFloat16PanelKernel<SimdOpsAvx2, Vector256<float>>.Dot(ref panel[0], ref x[0], cols, ref acc[0], prefetch);
                break;
            case "avx512":
                BFloat16PanelKernel<SimdOpsAvx512, Vector512<float>>.Dot(ref panel[0], ref x[0], cols, ref acc[0], prefetch);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(width), width, "no such kernel width");
        }
    }
}
