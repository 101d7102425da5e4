using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The kernels for one vector width: the generic algorithms (<see cref="PanelKernel{TOps, TVector}"/>,
/// <see cref="GemmKernel{TOps, TVector}"/>, <see cref="CellMath{TOps, TVector}"/>,
/// <see cref="AttentionMath{TOps, TVector}"/>) instantiated with one
/// <see cref="ISimdOps{TVector}"/> struct, so the JIT compiles each ISA's machine code from the same tested logic.
/// With <see cref="SimdOpsScalar"/> it is the scalar reference: products sum each row's columns in order
/// (<see cref="PanelKernelScalar"/>), and the cell updates and attention math are the very code the vector variants
/// use for their tails.
/// </summary>
internal sealed class SimdKernelSet<TOps, TVector> : KernelSet
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    private readonly KernelIsa _isa;

    public SimdKernelSet(KernelIsa isa, Int8Kernel int8)
    {
        _isa = isa;
        Int8 = int8;
    }

    public override KernelIsa Isa => _isa;

    public override Int8Kernel Int8 { get; }

    protected override void BFloat16Dot(ref ushort panel, ref float x, int cols, ref float sums, bool prefetch)
        => BFloat16PanelKernel<TOps, TVector>.Dot(ref panel, ref x, cols, ref sums, prefetch);

    protected override void BFloat16DotTiled(ref ushort panel, ref float x, int xStride, int cols, int count, ref float partials, ref float sums)
        => BFloat16TileKernel<TOps, TVector>.Dot(ref panel, ref x, xStride, cols, count, ref partials, ref sums);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void MultiplyCore(
        PackedMatrix w, ref float x, int xStride, ref float y, int yStride, int count, ref float bias, bool hasBias, bool accumulate,
        int firstPanel, int panels, bool streams, bool reverse)
    {
        var sweep = new PanelSweep(firstPanel, panels, reverse && count == 1);
        if (w.First is not null)
        {
            MultiplyPair(w, ref x, xStride, ref y, yStride, count, ref bias, hasBias, accumulate, sweep, streams);
            return;
        }
        if (TOps.Width == 1)
        {
            MultiplyScalar(w, ref x, xStride, ref y, yStride, count, ref bias, hasBias, accumulate, sweep);
            return;
        }

        // One vector: the product is bound by streaming the weights, and the GEMV kernel keeps eight independent
        // accumulators on one column stream. Several vectors: the register-tiled GEMM reuses each weight load.
        if (count == 1)
        {
            if (PanelKernel<TOps, TVector>.CanMultiplyTwo && KernelSelector.ReadsAsTwoStreams(w.WeightBytes))
            {
                MultiplyHalvesTogether(w, ref x, ref y, ref bias, hasBias, accumulate, sweep);
                return;
            }
            for (int i = 0; i < panels; i++)
            {
                int p = sweep[i];
                int rowStart = p * PackedMatrix.PanelRows;
                PanelKernel<TOps, TVector>.Multiply(
                    ref w.PanelRef(p), ref x, w.Cols, ref Unsafe.Add(ref y, rowStart), Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart),
                    ref Unsafe.Add(ref bias, hasBias ? rowStart : 0), hasBias, accumulate);
            }
            return;
        }
        GemmKernel<TOps, TVector>.Multiply(w, ref x, xStride, ref y, yStride, count, ref bias, hasBias, accumulate, firstPanel, panels,
            prefetch: streams || KernelSelector.TiledProductPrefetches(w.WeightBytes));
    }

    // [A | B] times [a ; b]: one vector (and the scalar reference, any count) runs each panel of both halves into one
    // sum per row; several vectors take the tiled product of each half, B's added to A's (bound by FMAs, not by the
    // extra pass over y).
    private static void MultiplyPair(
        PackedMatrix pair, ref float x, int xStride, ref float y, int yStride, int count, ref float bias, bool hasBias, bool accumulate,
        PanelSweep sweep, bool streams)
    {
        int firstPanel = sweep.First, panels = sweep.Count;
        PackedMatrix first = pair.First!, second = pair.Second!;
        ref float secondX = ref Unsafe.Add(ref x, first.Cols);
        if (count > 1 && TOps.Width > 1)
        {
            // Both halves stream from DRAM when the pair does (a step reads all of it), though neither alone might.
            bool prefetch = streams || KernelSelector.TiledProductPrefetches(pair.WeightBytes);
            GemmKernel<TOps, TVector>.Multiply(first, ref x, xStride, ref y, yStride, count, ref bias, hasBias, accumulate, firstPanel, panels, prefetch);
            GemmKernel<TOps, TVector>.Multiply(second, ref secondX, xStride, ref y, yStride, count, ref bias, hasBias: false, accumulate: true, firstPanel, panels, prefetch);
            return;
        }
        for (int i = 0; i < panels; i++)
        {
            int p = sweep[i];
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, first.Rows - rowStart);
            ref float panelBias = ref Unsafe.Add(ref bias, hasBias ? rowStart : 0);
            for (int n = 0; n < count; n++)
            {
                nint at = (nint)n * xStride;
                ref float yRows = ref Unsafe.Add(ref y, (nint)n * yStride + rowStart);
                if (TOps.Width == 1)
                {
                    PanelKernelScalar.Multiply(ref first.PanelRef(p), ref Unsafe.Add(ref x, at), first.Cols, ref second.PanelRef(p), ref Unsafe.Add(ref secondX, at), second.Cols,
                        ref yRows, rows, ref panelBias, hasBias, accumulate);
                }
                else
                {
                    PanelKernel<TOps, TVector>.Multiply(ref first.PanelRef(p), ref x, first.Cols, ref second.PanelRef(p), ref secondX, second.Cols,
                        ref yRows, rows, ref panelBias, hasBias, accumulate);
                }
            }
        }
    }

    // One vector against a matrix beyond the L2's reach: the two halves of the panel range side by side (MultiplyTwo), in
    // PanelPairs' order, so the weights come in as two streams. An odd range's lone panel is paired with itself (its
    // second result discarded), so that every row is summed by the same four-accumulator kernel whatever range a
    // thread is given and in either direction.
    private static void MultiplyHalvesTogether(PackedMatrix w, ref float x, ref float y, ref float bias, bool hasBias, bool accumulate, PanelSweep sweep)
    {
        PanelPairs pairs = sweep.Pairs;
        for (int v = 0; v < pairs.Count; v++)
        {
            (int a, int b) = pairs[v];
            if (b < 0)
                MultiplyLonePanel(w, a, ref x, ref y, ref bias, hasBias, accumulate);
            else
                MultiplyTwoPanels(w, a, w, b, ref x, ref x, ref y, ref y, ref bias, hasBias, ref bias, hasBias, accumulate);
        }
    }

    private static void MultiplyLonePanel(PackedMatrix w, int panel, ref float x, ref float y, ref float bias, bool hasBias, bool accumulate)
    {
        Span<float> discard = stackalloc float[PackedMatrix.PanelRows];
        // Indexed by the matrix's rows like y, so that the panel's rows land at discard[0..32).
        ref float unused = ref Unsafe.Subtract(ref discard[0], panel * PackedMatrix.PanelRows);
        MultiplyTwoPanels(w, panel, w, panel, ref x, ref x, ref y, ref unused, ref bias, hasBias, ref bias, hasBiasB: false, accumulate);
    }

    protected override bool CanMultiplyTwo => PanelKernel<TOps, TVector>.CanMultiplyTwo;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void MultiplyTwoCore(
        PackedMatrix a, ref float xa, ref float ya, ref float biasA, bool hasBiasA,
        PackedMatrix b, ref float xb, ref float yb, ref float biasB, bool hasBiasB, PanelSweep sweep)
    {
        for (int i = 0; i < sweep.Count; i++)
            MultiplyTwoPanels(a, sweep[i], b, sweep[i], ref xa, ref xb, ref ya, ref yb, ref biasA, hasBiasA, ref biasB, hasBiasB, accumulate: false);
    }

    // Panel pa of a times xa and panel pb of b times xb, each into its own rows of ya and yb (y and bias indexed by the
    // matrices' rows).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyTwoPanels(
        PackedMatrix a, int pa, PackedMatrix b, int pb, ref float xa, ref float xb, ref float ya, ref float yb,
        ref float biasA, bool hasBiasA, ref float biasB, bool hasBiasB, bool accumulate)
    {
        int startA = pa * PackedMatrix.PanelRows, startB = pb * PackedMatrix.PanelRows;
        PanelKernel<TOps, TVector>.MultiplyTwo(
            ref a.PanelRef(pa), ref xa, a.Cols, ref Unsafe.Add(ref ya, startA), ref Unsafe.Add(ref biasA, hasBiasA ? startA : 0), hasBiasA,
            ref b.PanelRef(pb), ref xb, b.Cols, ref Unsafe.Add(ref yb, startB), ref Unsafe.Add(ref biasB, hasBiasB ? startB : 0), hasBiasB,
            Math.Min(PackedMatrix.PanelRows, a.Rows - startA), Math.Min(PackedMatrix.PanelRows, b.Rows - startB), accumulate);
    }

    private static void MultiplyScalar(
        PackedMatrix w, ref float x, int xStride, ref float y, int yStride, int count, ref float bias, bool hasBias, bool accumulate,
        PanelSweep sweep)
    {
        for (int i = 0; i < sweep.Count; i++)
        {
            int p = sweep[i];
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart);
            for (int n = 0; n < count; n++)
            {
                PanelKernelScalar.Multiply(
                    ref w.PanelRef(p), ref Unsafe.Add(ref x, (nint)n * xStride), w.Cols,
                    ref Unsafe.Add(ref y, (nint)n * yStride + rowStart), rows, ref Unsafe.Add(ref bias, hasBias ? rowStart : 0), hasBias, accumulate);
            }
        }
    }

    protected override void LstmCore(ref float gates, ref float c, ref float m, int hidden) => CellMath<TOps, TVector>.Lstm(ref gates, ref c, ref m, hidden);

    protected override void GruResetAfterCore(ref float x, ref float hh, ref float h, int hidden)
        => CellMath<TOps, TVector>.GruResetAfter(ref x, ref hh, ref h, hidden);

    protected override void GruResetBeforeGatesCore(ref float x, ref float hh, ref float h, ref float resetHidden, int hidden)
        => CellMath<TOps, TVector>.GruResetBeforeGates(ref x, ref hh, ref h, ref resetHidden, hidden);

    protected override void GruResetBeforeUpdateCore(ref float x, ref float hh, ref float h, int hidden)
        => CellMath<TOps, TVector>.GruResetBeforeUpdate(ref x, ref hh, ref h, hidden);

    protected override void TanhCore(ref float x, ref float y, int length) => CellMath<TOps, TVector>.Tanh(ref x, ref y, length);

    protected override void ReluCore(ref float x, ref float y, int length) => CellMath<TOps, TVector>.Relu(ref x, ref y, length);

    protected override void SigmoidCore(ref float x, ref float y, int length) => CellMath<TOps, TVector>.Sigmoid(ref x, ref y, length);

    protected override void AdditiveScoresCore(ref float query, ref float keys, ref float v, float bias, ref float scores, int positions, int width)
        => AttentionMath<TOps, TVector>.AdditiveScores(ref query, ref keys, ref v, bias, ref scores, positions, width);

    protected override void WeightedSumCore(ref float weights, ref float rows, int count, int width, ref float result)
        => AttentionMath<TOps, TVector>.WeightedSum(ref weights, ref rows, count, width, ref result);
}
