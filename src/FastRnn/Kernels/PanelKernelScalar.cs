namespace FastRnn.Kernels;

/// <summary>
/// The scalar reference for <see cref="PanelKernel{TOps, TVector}"/>: the same product, one float at a time,
/// summing columns in order. Used when no vector unit is available and as the twin every SIMD variant is tested against.
/// </summary>
internal static class PanelKernelScalar
{
    /// <summary>y[0..rows) = (accumulate ? y : 0) + panel · x.</summary>
    public static void Multiply(ReadOnlySpan<float> panel, ReadOnlySpan<float> x, int cols, Span<float> y, int rows, bool accumulate)
        => Multiply(panel, x, cols, panel, x, 0, y, rows, accumulate ? y : default, accumulate);

    /// <summary>y[0..rows) = (hasInit ? init : 0) + A · a + B · b.</summary>
    public static void Multiply(
        ReadOnlySpan<float> panelA, ReadOnlySpan<float> xA, int colsA, ReadOnlySpan<float> panelB, ReadOnlySpan<float> xB, int colsB,
        Span<float> y, int rows, ReadOnlySpan<float> init, bool hasInit)
    {
        for (int r = 0; r < rows; r++)
        {
            float sum = 0f;
            for (int k = 0; k < colsA; k++)
                sum += panelA[k * PackedMatrix.PanelRows + r] * xA[k];
            for (int k = 0; k < colsB; k++)
                sum += panelB[k * PackedMatrix.PanelRows + r] * xB[k];
            y[r] = hasInit ? init[r] + sum : sum;
        }
    }
}
