using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The scalar reference for the panel products: one float at a time, each row's columns summed in order. Used when
/// no vector unit is available and as the twin every SIMD variant is tested against.
/// </summary>
internal static class PanelKernelScalar
{
    /// <summary>y[0..rows) = (accumulate ? y : 0) + (hasBias ? bias : 0) + panel · x, the panel having <paramref name="cols"/> columns of 32 floats.</summary>
    public static void Multiply(ref float panel, ref float x, int cols, ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
        => Multiply(ref panel, ref x, cols, ref panel, ref x, 0, ref y, rows, ref bias, hasBias, accumulate);

    /// <summary>The same for one row block of a pair [A | B] times [a ; b]: each row's columns of A, then of B, in one sum.</summary>
    public static void Multiply(
        ref float panelA, ref float xA, int colsA, ref float panelB, ref float xB, int colsB, ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float sum = 0f;
            for (int k = 0; k < colsA; k++)
                sum += Unsafe.Add(ref panelA, k * PackedMatrix.PanelRows + r) * Unsafe.Add(ref xA, k);
            for (int k = 0; k < colsB; k++)
                sum += Unsafe.Add(ref panelB, k * PackedMatrix.PanelRows + r) * Unsafe.Add(ref xB, k);
            if (hasBias)
                sum = Unsafe.Add(ref bias, r) + sum;
            Unsafe.Add(ref y, r) = accumulate ? Unsafe.Add(ref y, r) + sum : sum;
        }
    }
}
