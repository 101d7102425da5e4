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

    /// <summary>y = (accumulate ? y : 0) + W · x with the process-wide kernel variant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(PackedMatrix w, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
        => Multiply(KernelSelector.Active, w, x, w.Cols, y, w.Rows, 1, accumulate);

    /// <summary>Block form with the process-wide kernel variant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
        => Multiply(KernelSelector.Active, w, x, xStride, y, yStride, count, accumulate);

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
    private static void DriveScalar(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, bool accumulate)
    {
        int panelLength = w.Cols * PackedMatrix.PanelRows;
        for (int p = 0; p < w.PanelCount; p++)
        {
            ReadOnlySpan<float> panel = w.Data.Slice(p * panelLength, panelLength);
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
