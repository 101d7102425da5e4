using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Kernels;

// The products over bfloat16 and int8 matrices. One vector runs each segment's panels in one pass through the
// one-vector kernels (BFloat16Dot, Int8.DotPanels) into sums over all the rows; several vectors go panel by panel
// through the tiled ones (BFloat16DotTiled, Int8.DotTiled), which reuse every weight load for several vectors; then
// bias and destination are added in QuantizedEpilogue: 32 lanes per vector against the panel's 32 · cols multiply-adds, but written as
// scalar loops it took an eighth of an int8 sequence's projection.
// Both dot products give each vector the same sums to the bit, so a batch, a beam or a sequence's input projection
// gets exactly the numbers the same vectors would get one at a time.
internal abstract partial class KernelSet
{
    /// <summary>The int8 panel dot products that go with this variant.</summary>
    public abstract Int8Kernel Int8 { get; }

    /// <summary>sums[0..32) = panel · x over <paramref name="cols"/> columns of 32 bfloat16 (see <see cref="BFloat16PanelKernel{TOps, TVector}"/>).</summary>
    protected abstract void BFloat16Dot(ref ushort panel, ref float x, int cols, ref float sums, bool prefetch);

    /// <summary>The same for <paramref name="count"/> vectors at once (see <see cref="BFloat16TileKernel{TOps, TVector}"/>).</summary>
    protected abstract void BFloat16DotTiled(ref ushort panel, ref float x, int xStride, int cols, int count, ref float partials, ref float sums);

    // Lengths were checked by MultiplyPanels.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MultiplyQuantized(
        PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate,
        int firstPanel, int panels, bool reverse)
    {
        const int P = PackedMatrix.PanelRows;
        if (w.Element == WeightElement.BFloat16)
        {
            MultiplyBFloat16(w, x, xStride, y, yStride, count, bias, accumulate, firstPanel, panels, reverse);
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
        Int8Operands operands = Int8.Prepare(quads, QuantizedScratch.Operands(2 * quads.Length));

        if (count == 1)
        {
            MultiplyInt8Vector(w, q, operands, scales, y, bias, accumulate, firstPanel, panels, reverse);
            return;
        }
        Span<int> acc = QuantizedScratch.IntegerSums(count * P);
        Span<float> sums = QuantizedScratch.Sums(count * P);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (int p = firstPanel; p < firstPanel + panels; p++)
        {
            int rowStart = p * P, rows = Math.Min(P, w.Rows - rowStart);
            ref float panelBias = ref BiasFrom(bias, rowStart);
            int quadStart = 0;
            for (int i = 0; i < segments.Length; i++)
            {
                Int8Segment s = segments[i];
                ref sbyte segment = ref q.PanelRef(s, p);
                ref int rowSums = ref s.RowSums[p * P];
                Int8.DotTiled(ref segment, ref rowSums, operands.From(quadStart), quadsPerVector, s.Quads, count, ref acc[0]);
                quadStart += s.Quads;
                // Segments add up in sums; the last one's scaling goes straight to y with bias and destination.
                ref float rowScales = ref s.Scales[p * P];
                for (int n = 0; n < count; n++)
                {
                    var lanes = new QuantizedEpilogue.Lanes(ref acc[n * P], ref rowScales, scales[n * segments.Length + i]);
                    if (i < segments.Length - 1)
                        QuantizedEpilogue.AddScaled(lanes, ref sums[n * P], first: i == 0, P);
                    else
                        QuantizedEpilogue.WriteScaled(lanes, ref sums[n * P], i > 0, ref panelBias, !bias.IsEmpty, ref Unsafe.Add(ref y0, (nint)n * yStride + rowStart), accumulate, rows);
                }
            }
        }
    }

    // bfloat16. One vector: each segment's panels in one pass (a segment's panels are one contiguous run, see
    // BFloat16Panels; a backward sweep takes the segments last to first too) into sums over all the range's rows, then
    // one epilogue. Several vectors: panel by panel through the tile, each segment into sums of its own. Either way a
    // row is its first segment's dot product plus the next one's, each summed by the same chains, so a vector gets the
    // same bits alone and in a batch, forwards and backwards.
    private void MultiplyBFloat16(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count,
        ReadOnlySpan<float> bias, bool accumulate, int firstPanel, int panels, bool reverse)
    {
        const int P = PackedMatrix.PanelRows;
        BFloat16Panels b = w.BFloat16!;
        BFloat16Segment[] segments = b.Segments;
        int n = segments.Length;
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        if (count == 1)
        {
            int lanes = panels * P, rowStart = firstPanel * P, rows = Math.Min(lanes, w.Rows - rowStart);
            Span<float> sums = QuantizedScratch.Sums(n * lanes);
            var sweep = new PanelSweep(firstPanel, panels, reverse);
            bool prefetch = KernelSelector.OneVectorProductPrefetches(w.WeightBytes);
            for (int visit = 0; visit < n; visit++)
            {
                int i = reverse ? n - 1 - visit : visit;
                BFloat16Segment s = segments[i];
                for (int v = 0; v < panels; v++)
                {
                    int p = sweep[v];
                    BFloat16Dot(ref b.PanelRef(s, p), ref Unsafe.Add(ref x0, s.Column), s.Cols, ref sums[i * lanes + (p - firstPanel) * P], prefetch);
                }
            }
            AddSegments(sums, lanes, n);
            QuantizedEpilogue.Write(ref sums[0], ref BiasFrom(bias, rowStart), !bias.IsEmpty, ref Unsafe.Add(ref y0, rowStart), accumulate, rows);
            return;
        }

        int block = count * P;
        Span<float> tileSums = QuantizedScratch.Sums(n * block);
        Span<float> partials = QuantizedScratch.Partials(count * BFloat16TileKernel<SimdOpsScalar, float>.PartialsPerVector);
        for (int p = firstPanel; p < firstPanel + panels; p++)
        {
            for (int i = 0; i < n; i++)
            {
                BFloat16Segment s = segments[i];
                BFloat16DotTiled(ref b.PanelRef(s, p), ref Unsafe.Add(ref x0, s.Column), xStride, s.Cols, count, ref partials[0], ref tileSums[i * block]);
            }
            AddSegments(tileSums, block, n);
            int rowStart = p * P, rows = Math.Min(P, w.Rows - rowStart);
            ref float panelBias = ref BiasFrom(bias, rowStart);
            for (int v = 0; v < count; v++)
                QuantizedEpilogue.Write(ref tileSums[v * P], ref panelBias, !bias.IsEmpty, ref Unsafe.Add(ref y0, (nint)v * yStride + rowStart), accumulate, rows);
        }
    }

    // sums[0..length) += each later segment's block of `length` sums, in segment order.
    private static void AddSegments(Span<float> sums, int length, int segments)
    {
        for (int i = 1; i < segments; i++)
            System.Numerics.Tensors.TensorPrimitives.Add(sums[..length], sums.Slice(i * length, length), sums[..length]);
    }

    // One vector: each segment's dot products over all the panels in one call, then one epilogue over all their rows,
    // the segments' scaled sums added in column order. A segment's panels are one contiguous run (Int8Panels), so each
    // call reads one stream — two, the halves of the run side by side, once the matrix lies beyond twice the L2: a
    // sequence's recurrence reads W_hh alone, and a step reads W_ih's run, then W_hh's. Per
    // panel, the calls and bookkeeping cost a tenth of an L2-resident recurrence, and a step that read each panel's two
    // segments in turn (two streams, 32 KiB runs at H = 1024) was 4-6 % slower (Zen 5). A backward sweep visits the
    // segments last to first as well, so that it begins with what the last step read last; integer sums are exact and
    // the epilogue's order does not follow the visit, so no bit depends on the direction.
    private void MultiplyInt8Vector(PackedMatrix w, Int8Panels q, Int8Operands operands, ReadOnlySpan<float> activationScales, Span<float> y,
        ReadOnlySpan<float> bias, bool accumulate, int firstPanel, int panels, bool reverse)
    {
        const int P = PackedMatrix.PanelRows;
        Int8Segment[] segments = q.Segments;
        int n = segments.Length, lanes = panels * P;
        int rowStart = firstPanel * P, rows = Math.Min(lanes, w.Rows - rowStart);
        Span<int> acc = QuantizedScratch.IntegerSums(n * lanes);
        bool twoStreams = KernelSelector.ReadsAsTwoStreams(w.WeightBytes);
        for (int visit = 0; visit < n; visit++)
        {
            int i = reverse ? n - 1 - visit : visit, quadStart = 0;
            for (int before = 0; before < i; before++)
                quadStart += segments[before].Quads;
            Int8Segment s = segments[i];
            Int8.DotPanels(ref q.PanelRef(s, firstPanel), s.PanelStride, ref s.RowSums[rowStart], operands.From(quadStart), s.Quads, panels, ref acc[i * lanes], reverse, twoStreams);
        }

        ref float rowBias = ref BiasFrom(bias, rowStart);
        ref float y0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), rowStart);
        Span<float> sums = n > 1 ? QuantizedScratch.Sums(lanes) : default;
        for (int i = 0; i < n; i++)
        {
            var scaled = new QuantizedEpilogue.Lanes(ref acc[i * lanes], ref segments[i].Scales[rowStart], activationScales[i]);
            if (i < n - 1)
                QuantizedEpilogue.AddScaled(scaled, ref sums[0], first: i == 0, lanes);
            else
                QuantizedEpilogue.WriteScaled(scaled, ref n > 1 ? ref sums[0] : ref Unsafe.NullRef<float>(), hasSums: n > 1, ref rowBias, !bias.IsEmpty, ref y0, accumulate, rows);
        }
    }

    // bias[rowStart] (unread when the product has no bias: the epilogues test for that first).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float BiasFrom(ReadOnlySpan<float> bias, int rowStart)
        => ref bias.IsEmpty ? ref MemoryMarshal.GetReference(bias) : ref Unsafe.Add(ref MemoryMarshal.GetReference(bias), rowStart);

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
}
