using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Kernels;

// The products over bfloat16 and int8 matrices. They run panel by panel and vector by vector through one per-ISA dot
// product (BFloat16Dot, Int8.Dot) into 32 float sums, then add bias and destination in plain code: the epilogue is 32
// operations against the panel's 32 · cols multiply-adds.
internal abstract partial class KernelSet
{
    /// <summary>The int8 panel dot product that goes with this variant.</summary>
    public abstract Int8Kernel Int8 { get; }

    /// <summary>sums[0..32) = panel · x over <paramref name="cols"/> columns of 32 bfloat16 (see <see cref="BFloat16PanelKernel{TOps, TVector}"/>).</summary>
    protected abstract void BFloat16Dot(ref ushort panel, ref float x, int cols, ref float sums);

    // Lengths were checked by MultiplyPanels.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyQuantized(
        PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate,
        int firstPanel, int panels)
    {
        const int P = PackedMatrix.PanelRows;
        Span<float> sums = stackalloc float[P];
        if (w.Element == WeightElement.BFloat16)
        {
            BFloat16Panels b = w.BFloat16!;
            for (int p = firstPanel; p < firstPanel + panels; p++)
            {
                for (int n = 0; n < count; n++)
                {
                    BFloat16Dot(ref b.PanelRef(p), ref Unsafe.AsRef(in x[n * xStride]), w.Cols, ref sums[0]);
                    WritePanel(sums, w, p, y.Slice(n * yStride), bias, accumulate);
                }
            }
            return;
        }

        Int8Panels q = w.Int8!;
        Int8Segment[] segments = q.Segments;
        int quadsPerVector = 0;
        foreach (Int8Segment s in segments)
            quadsPerVector += s.Quads;
        Span<int> quads = QuantizedScratch.Quads(count * quadsPerVector);
        Span<float> scales = QuantizedScratch.Scales(count * segments.Length);
        QuantizeActivations(segments, x, xStride, count, quads, quadsPerVector, scales);

        Span<int> acc = stackalloc int[P];
        for (int p = firstPanel; p < firstPanel + panels; p++)
        {
            for (int n = 0; n < count; n++)
            {
                sums.Clear();
                int quadStart = n * quadsPerVector;
                for (int i = 0; i < segments.Length; i++)
                {
                    Int8Segment s = segments[i];
                    Int8.Dot(ref Unsafe.Add(ref q.PanelRef(p), s.ByteOffset), ref quads[quadStart], s.Quads, ref acc[0]);
                    quadStart += s.Quads;
                    float activationScale = scales[n * segments.Length + i];
                    ReadOnlySpan<float> rowScales = s.Scales.AsSpan(p * P, P);
                    for (int r = 0; r < P; r++)
                        sums[r] += acc[r] * (rowScales[r] * activationScale);
                }
                WritePanel(sums, w, p, y.Slice(n * yStride), bias, accumulate);
            }
        }
    }

    /// <summary>
    /// Each vector's part under each segment becomes bytes in ±127 with one scale, max|x| / 127 (symmetric, per step
    /// and per vector: the activations change every step, so no calibrated range could fit them all).
    /// </summary>
    private static void QuantizeActivations(Int8Segment[] segments, ReadOnlySpan<float> x, int xStride, int count, Span<int> quads, int quadsPerVector, Span<float> scales)
    {
        for (int n = 0; n < count; n++)
        {
            int quadStart = n * quadsPerVector;
            for (int i = 0; i < segments.Length; i++)
            {
                Int8Segment s = segments[i];
                Span<int> dst = quads.Slice(quadStart, s.Quads);
                dst[^1] = 0; // the last quad's padding bytes meet zero weights; cleared so a stale byte cannot reach the sum
                scales[n * segments.Length + i] = WeightQuantizer.QuantizeVector(x.Slice(n * xStride + s.Column, s.Cols), MemoryMarshal.Cast<int, sbyte>(dst)[..s.Cols]);
                quadStart += s.Quads;
            }
        }
    }

    private static void WritePanel(ReadOnlySpan<float> sums, PackedMatrix w, int panel, Span<float> y, ReadOnlySpan<float> bias, bool accumulate)
    {
        int rowStart = panel * PackedMatrix.PanelRows;
        int rows = Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart);
        Span<float> destination = y.Slice(rowStart, rows);
        for (int r = 0; r < rows; r++)
        {
            float value = bias.IsEmpty ? sums[r] : bias[rowStart + r] + sums[r];
            destination[r] = accumulate ? destination[r] + value : value;
        }
    }
}
