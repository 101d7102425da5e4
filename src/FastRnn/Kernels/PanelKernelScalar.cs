namespace FastRnn.Kernels;

/// <summary>
/// The scalar reference for <see cref="PanelKernel{TOps, TVector}"/>: the same product, one float at a time,
/// summing columns in order. Used when no vector unit is available and as the twin every SIMD variant is tested against.
/// </summary>
internal static class PanelKernelScalar
{
    /// <summary>y[0..rows) = (accumulate ? y : 0) + panel · x.</summary>
    public static void Multiply(ReadOnlySpan<float> panel, ReadOnlySpan<float> x, int cols, Span<float> y, int rows, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float sum = 0f;
            for (int k = 0; k < cols; k++)
                sum += panel[k * PackedMatrix.PanelRows + r] * x[k];
            y[r] = accumulate ? y[r] + sum : sum;
        }
    }
}
