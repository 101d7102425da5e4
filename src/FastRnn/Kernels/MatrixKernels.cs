using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastRnn.Kernels;

/// <summary>
/// Products of a <see cref="PackedMatrix"/> with one vector (GEMV) or with a block of row vectors (small GEMM).
/// </summary>
internal static class MatrixKernels
{
    /// <summary>
    /// For each of <paramref name="count"/> vectors n: y_n = (accumulate ? y_n : 0) + W · x_n, where x_n starts at
    /// <c>x[n * xStride]</c> (length W.Cols) and y_n at <c>y[n * yStride]</c> (length W.Rows).
    /// </summary>
    /// <remarks>
    /// Panels are the outer loop so a panel (32 × Cols floats) is fetched from memory once and then reused from cache
    /// for every vector: for the hoisted input projection of a whole sequence this turns T matrix–vector products
    /// into one pass over the weights.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(KernelIsa isa, PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
    {
        CheckShapes(w, x, xStride, y, yStride, count);
        switch (isa)
        {
            case KernelIsa.Avx512 when SimdOpsAvx512.IsSupported:
                Drive<SimdOpsAvx512, Vector512<float>>(w, x, xStride, y, yStride, count, accumulate);
                break;
            case KernelIsa.Avx2 when SimdOpsAvx2.IsSupported:
                Drive<SimdOpsAvx2, Vector256<float>>(w, x, xStride, y, yStride, count, accumulate);
                break;
            case KernelIsa.Vector128 when SimdOpsVector128.IsSupported:
                Drive<SimdOpsVector128, Vector128<float>>(w, x, xStride, y, yStride, count, accumulate);
                break;
            case KernelIsa.Scalar:
                DriveScalar(w, x, xStride, y, yStride, count, accumulate);
                break;
            default:
                throw new NotSupportedException($"kernel variant {isa} is not supported on this CPU");
        }
    }

    /// <summary>
    /// For each of <paramref name="count"/> vectors n: y_n = bias + A · a_n (+ B · b_n when <paramref name="wb"/> is
    /// given), with A and B sharing their rows. One pass writes y: no separate bias copy, and when both products are
    /// present (W_ih x + W_hh h of one step) they accumulate in the same registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(
        KernelIsa isa, PackedMatrix wa, ReadOnlySpan<float> a, int aStride, PackedMatrix? wb, ReadOnlySpan<float> b, int bStride,
        ReadOnlySpan<float> bias, Span<float> y, int yStride, int count)
    {
        CheckShapes(wa, a, aStride, y, yStride, count);
        if (wb is not null)
        {
            CheckShapes(wb, b, bStride, y, yStride, count);
            if (wb.Rows != wa.Rows)
                throw new ArgumentException($"paired matrices must share their rows: ({wa.Rows}, {wa.Cols}) and ({wb.Rows}, {wb.Cols})");
        }
        if (bias.Length < wa.Rows)
            throw new ArgumentException($"bias has {bias.Length} floats; the matrix has {wa.Rows} rows");
        switch (isa)
        {
            case KernelIsa.Avx512 when SimdOpsAvx512.IsSupported:
                DrivePair<SimdOpsAvx512, Vector512<float>>(wa, a, aStride, wb, b, bStride, bias, y, yStride, count);
                break;
            case KernelIsa.Avx2 when SimdOpsAvx2.IsSupported:
                DrivePair<SimdOpsAvx2, Vector256<float>>(wa, a, aStride, wb, b, bStride, bias, y, yStride, count);
                break;
            case KernelIsa.Vector128 when SimdOpsVector128.IsSupported:
                DrivePair<SimdOpsVector128, Vector128<float>>(wa, a, aStride, wb, b, bStride, bias, y, yStride, count);
                break;
            case KernelIsa.Scalar:
                DrivePairScalar(wa, a, aStride, wb, b, bStride, bias, y, yStride, count);
                break;
            default:
                throw new NotSupportedException($"kernel variant {isa} is not supported on this CPU");
        }
    }

    /// <summary><see cref="MultiplyAdd(KernelIsa, PackedMatrix, ReadOnlySpan{float}, int, PackedMatrix?, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, int, int)"/> with the process-wide variant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd(
        PackedMatrix wa, ReadOnlySpan<float> a, int aStride, PackedMatrix? wb, ReadOnlySpan<float> b, int bStride,
        ReadOnlySpan<float> bias, Span<float> y, int yStride, int count)
        => MultiplyAdd(KernelSelector.ForWeights(WeightBytes(wa) + (wb is null ? 0 : WeightBytes(wb))), wa, a, aStride, wb, b, bStride, bias, y, yStride, count);

    /// <summary>y = (accumulate ? y : 0) + W · x with the process-wide kernel variant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(PackedMatrix w, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
        => Multiply(KernelSelector.ForWeights(WeightBytes(w)), w, x, w.Cols, y, w.Rows, 1, accumulate);

    /// <summary>Block form with the process-wide kernel variant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
        => Multiply(KernelSelector.ForWeights(WeightBytes(w)), w, x, xStride, y, yStride, count, accumulate);

    private static long WeightBytes(PackedMatrix w) => (long)w.Rows * w.Cols * sizeof(float);

    private static void CheckShapes(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count)
    {
        // Internal callers size every buffer at session creation; these checks keep a bug there from becoming an
        // out-of-bounds read in the unsafe kernels below. They cost a few compares per product.
        if (count <= 0)
            return;
        if (xStride < w.Cols || yStride < w.Rows
            || (long)(count - 1) * xStride + w.Cols > x.Length
            || (long)(count - 1) * yStride + w.Rows > y.Length)
        {
            throw new ArgumentException(
                $"matrix ({w.Rows}, {w.Cols}) times {count} vectors: x has {x.Length} floats with stride {xStride}, y has {y.Length} with stride {yStride}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Drive<TOps, TVector>(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
        where TOps : ISimdOps<TVector>
        where TVector : struct
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        int panels = w.PanelCount;
        for (int p = 0; p < panels; p++)
        {
            ref float panel = ref w.PanelRef(p);
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart);
            for (int n = 0; n < count; n++)
            {
                PanelKernel<TOps, TVector>.Multiply(
                    ref panel,
                    ref Unsafe.Add(ref x0, (nint)n * xStride),
                    w.Cols,
                    ref Unsafe.Add(ref y0, (nint)n * yStride + rowStart),
                    rows,
                    accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DrivePair<TOps, TVector>(
        PackedMatrix wa, ReadOnlySpan<float> a, int aStride, PackedMatrix? wb, ReadOnlySpan<float> b, int bStride,
        ReadOnlySpan<float> bias, Span<float> y, int yStride, int count)
        where TOps : ISimdOps<TVector>
        where TVector : struct
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref float bias0 = ref MemoryMarshal.GetReference(bias);
        int colsB = wb?.Cols ?? 0;
        int block = wb is null ? PanelKernel<TOps, TVector>.BlockVectors : 1;
        for (int p = 0; p < wa.PanelCount; p++)
        {
            ref float panelA = ref wa.PanelRef(p);
            ref float panelB = ref wb is null ? ref panelA : ref wb.PanelRef(p);
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, wa.Rows - rowStart);
            int n = 0;
            // Many vectors against one matrix (the hoisted input projection, B streams): several per weight load.
            for (; block > 1 && n + block <= count; n += block)
            {
                PanelKernel<TOps, TVector>.MultiplyBlock(
                    ref panelA, ref Unsafe.Add(ref a0, (nint)n * aStride), aStride, wa.Cols,
                    ref Unsafe.Add(ref y0, (nint)n * yStride + rowStart), yStride, rows,
                    ref Unsafe.Add(ref bias0, rowStart), 0);
            }
            for (; n < count; n++)
            {
                PanelKernel<TOps, TVector>.Multiply(
                    ref panelA, ref Unsafe.Add(ref a0, (nint)n * aStride), wa.Cols,
                    ref panelB, ref Unsafe.Add(ref b0, (nint)n * bStride), colsB,
                    ref Unsafe.Add(ref y0, (nint)n * yStride + rowStart), rows,
                    ref Unsafe.Add(ref bias0, rowStart), hasInit: true);
            }
        }
    }

    private static void DrivePairScalar(
        PackedMatrix wa, ReadOnlySpan<float> a, int aStride, PackedMatrix? wb, ReadOnlySpan<float> b, int bStride,
        ReadOnlySpan<float> bias, Span<float> y, int yStride, int count)
    {
        int colsB = wb?.Cols ?? 0;
        for (int p = 0; p < wa.PanelCount; p++)
        {
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, wa.Rows - rowStart);
            for (int n = 0; n < count; n++)
            {
                PanelKernelScalar.Multiply(
                    wa.Panel(p), a.Slice(n * aStride, wa.Cols), wa.Cols,
                    wb is null ? default : wb.Panel(p), wb is null ? default : b.Slice(n * bStride, colsB), colsB,
                    y.Slice(n * yStride + rowStart, rows), rows, bias.Slice(rowStart, rows), hasInit: true);
            }
        }
    }

    private static void DriveScalar(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
    {
        for (int p = 0; p < w.PanelCount; p++)
        {
            ReadOnlySpan<float> panel = w.Panel(p);
            int rowStart = p * PackedMatrix.PanelRows;
            int rows = Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart);
            for (int n = 0; n < count; n++)
            {
                PanelKernelScalar.Multiply(
                    panel,
                    x.Slice(n * xStride, w.Cols),
                    w.Cols,
                    y.Slice(n * yStride + rowStart, rows),
                    rows,
                    accumulate);
            }
        }
    }
}
