using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row panel of a <see cref="PackedMatrix"/> times a vector, written once for every vector width.
/// </summary>
/// <remarks>
/// Eight independent accumulators are live in the main loop: with an FMA latency of 4 cycles and two FMA ports,
/// fewer would leave the units idle. One iteration consumes eight vectors of the panel stream, which is one column
/// for 128-bit vectors, two for 256-bit and four for 512-bit; accumulator <c>i</c> therefore covers panel rows
/// <c>(i % V) * Width</c> (V = vectors per column) and accumulators with equal <c>i % V</c> are summed at the end.
/// Every <c>if</c> on <c>TOps.Width</c> below is a JIT-time constant and disappears from the specialised code.
/// </remarks>
internal static class PanelKernel<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>
    /// y[0..rows) = (accumulate ? y : 0) + panel · x, where the panel has <paramref name="cols"/> columns of 32 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(ref float panel, ref float x, int cols, ref float y, int rows, bool accumulate)
        => Multiply(ref panel, ref x, cols, ref panel, ref x, 0, ref y, rows, ref y, accumulate);

    /// <summary>
    /// y[0..rows) = (hasInit ? init : 0) + A · a + B · b for two panels sharing their rows (for example the same rows
    /// of W_ih and W_hh): both products land in the same registers, and y is written once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        ref float panelA, ref float xA, int colsA, ref float panelB, ref float xB, int colsB, ref float y, int rows, ref float init, bool hasInit)
    {
        int w = TOps.Width;
        int vectorsPerColumn = PackedMatrix.PanelRows / w;
        int columnsPerIteration = 8 / vectorsPerColumn;

        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVector a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;

        ref float panel = ref panelA;
        ref float x = ref xA;
        int cols = colsA;
        for (int source = 0; ; source++)
        {
            int j = 0;
            for (; j + columnsPerIteration <= cols; j += columnsPerIteration)
            {
                ref float wj = ref Unsafe.Add(ref panel, j * PackedMatrix.PanelRows);
                // Accumulator i multiplies column j + i / vectorsPerColumn, i.e. broadcast q[i / 2] with
                // q[m] = x[j + m * columnsPerIteration / 4]; duplicates fold to one broadcast after specialisation.
                TVector q0 = TOps.Broadcast(Unsafe.Add(ref x, j));
                TVector q1 = TOps.Broadcast(Unsafe.Add(ref x, j + columnsPerIteration / 4));
                TVector q2 = TOps.Broadcast(Unsafe.Add(ref x, j + 2 * columnsPerIteration / 4));
                TVector q3 = TOps.Broadcast(Unsafe.Add(ref x, j + 3 * columnsPerIteration / 4));
                a0 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(0 * w)), q0, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(1 * w)), q0, a1);
                a2 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(2 * w)), q1, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(3 * w)), q1, a3);
                a4 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(4 * w)), q2, a4);
                a5 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(5 * w)), q2, a5);
                a6 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(6 * w)), q3, a6);
                a7 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(7 * w)), q3, a7);
            }

            // Leftover columns, one at a time: vector i of a single column covers rows i * w, as in the main loop.
            for (; j < cols; j++)
            {
                ref float wj = ref Unsafe.Add(ref panel, j * PackedMatrix.PanelRows);
                TVector b = TOps.Broadcast(Unsafe.Add(ref x, j));
                a0 = TOps.MultiplyAdd(TOps.Load(ref wj, 0), b, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)w), b, a1);
                if (vectorsPerColumn > 2)
                {
                    a2 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(2 * w)), b, a2);
                    a3 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(3 * w)), b, a3);
                }
                if (vectorsPerColumn > 4)
                {
                    a4 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(4 * w)), b, a4);
                    a5 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(5 * w)), b, a5);
                    a6 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(6 * w)), b, a6);
                    a7 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(7 * w)), b, a7);
                }
            }

            if (source == 1 || colsB == 0)
                break;
            panel = ref panelB;
            x = ref xB;
            cols = colsB;
        }

        // Fold the accumulators that share rows.
        if (vectorsPerColumn == 4)
        {
            a0 = TOps.Add(a0, a4);
            a1 = TOps.Add(a1, a5);
            a2 = TOps.Add(a2, a6);
            a3 = TOps.Add(a3, a7);
        }
        else if (vectorsPerColumn == 2)
        {
            a0 = TOps.Add(TOps.Add(a0, a2), TOps.Add(a4, a6));
            a1 = TOps.Add(TOps.Add(a1, a3), TOps.Add(a5, a7));
        }

        if (rows == PackedMatrix.PanelRows)
        {
            Write(a0, ref y, 0, ref init, hasInit);
            Write(a1, ref y, (nuint)w, ref init, hasInit);
            if (vectorsPerColumn > 2)
            {
                Write(a2, ref y, (nuint)(2 * w), ref init, hasInit);
                Write(a3, ref y, (nuint)(3 * w), ref init, hasInit);
            }
            if (vectorsPerColumn > 4)
            {
                Write(a4, ref y, (nuint)(4 * w), ref init, hasInit);
                Write(a5, ref y, (nuint)(5 * w), ref init, hasInit);
                Write(a6, ref y, (nuint)(6 * w), ref init, hasInit);
                Write(a7, ref y, (nuint)(7 * w), ref init, hasInit);
            }
            return;
        }

        // A partial last panel: the destination may end before the panel does, so go through a stack copy.
        Span<float> tail = stackalloc float[PackedMatrix.PanelRows];
        ref float t = ref tail[0];
        TOps.Store(a0, ref t, 0);
        TOps.Store(a1, ref t, (nuint)w);
        if (vectorsPerColumn > 2)
        {
            TOps.Store(a2, ref t, (nuint)(2 * w));
            TOps.Store(a3, ref t, (nuint)(3 * w));
        }
        if (vectorsPerColumn > 4)
        {
            TOps.Store(a4, ref t, (nuint)(4 * w));
            TOps.Store(a5, ref t, (nuint)(5 * w));
            TOps.Store(a6, ref t, (nuint)(6 * w));
            TOps.Store(a7, ref t, (nuint)(7 * w));
        }
        for (int r = 0; r < rows; r++)
            Unsafe.Add(ref y, r) = hasInit ? Unsafe.Add(ref init, r) + tail[r] : tail[r];
    }

    /// <summary>
    /// Vectors processed together by <see cref="MultiplyBlock"/>: 4 for 512-bit, 2 for 256-bit vectors (eight
    /// accumulators either way), 1 — no blocking — for 128-bit ones.
    /// </summary>
    public static int BlockVectors => 8 / (PackedMatrix.PanelRows / TOps.Width) is var n && n >= 2 ? n : 1;

    /// <summary>
    /// y_v[0..rows) = init_v + panel · x_v for <see cref="BlockVectors"/> vectors at once (x_v = x + v·xStride,
    /// y_v = y + v·yStride, init_v = init + v·initStride): each weight load feeds every vector, so a product with many
    /// vectors (the hoisted input projection of a sequence) is bound by arithmetic, not by re-reading the panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyBlock(ref float panel, ref float x, int xStride, int cols, ref float y, int yStride, int rows, ref float init, int initStride)
    {
        int w = TOps.Width;
        int vectorsPerColumn = PackedMatrix.PanelRows / w; // 2 (512-bit) or 4 (256-bit); not used for 128-bit
        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVector a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        ref float x1 = ref Unsafe.Add(ref x, xStride);
        ref float x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref float x3 = ref Unsafe.Add(ref x, 3 * xStride);
        for (int j = 0; j < cols; j++)
        {
            ref float wj = ref Unsafe.Add(ref panel, j * PackedMatrix.PanelRows);
            TVector w0 = TOps.Load(ref wj, 0), w1 = TOps.Load(ref wj, (nuint)w);
            TVector b0 = TOps.Broadcast(Unsafe.Add(ref x, j)), b1 = TOps.Broadcast(Unsafe.Add(ref x1, j));
            if (vectorsPerColumn == 2)
            {
                // Accumulators 2v, 2v+1 hold vector v's rows 0..15 and 16..31.
                TVector b2 = TOps.Broadcast(Unsafe.Add(ref x2, j)), b3 = TOps.Broadcast(Unsafe.Add(ref x3, j));
                a0 = TOps.MultiplyAdd(w0, b0, a0);
                a1 = TOps.MultiplyAdd(w1, b0, a1);
                a2 = TOps.MultiplyAdd(w0, b1, a2);
                a3 = TOps.MultiplyAdd(w1, b1, a3);
                a4 = TOps.MultiplyAdd(w0, b2, a4);
                a5 = TOps.MultiplyAdd(w1, b2, a5);
                a6 = TOps.MultiplyAdd(w0, b3, a6);
                a7 = TOps.MultiplyAdd(w1, b3, a7);
            }
            else
            {
                // Accumulators 4v..4v+3 hold vector v's four row groups.
                TVector w2 = TOps.Load(ref wj, (nuint)(2 * w)), w3 = TOps.Load(ref wj, (nuint)(3 * w));
                a0 = TOps.MultiplyAdd(w0, b0, a0);
                a1 = TOps.MultiplyAdd(w1, b0, a1);
                a2 = TOps.MultiplyAdd(w2, b0, a2);
                a3 = TOps.MultiplyAdd(w3, b0, a3);
                a4 = TOps.MultiplyAdd(w0, b1, a4);
                a5 = TOps.MultiplyAdd(w1, b1, a5);
                a6 = TOps.MultiplyAdd(w2, b1, a6);
                a7 = TOps.MultiplyAdd(w3, b1, a7);
            }
        }

        Span<float> tile = stackalloc float[8 * 16]; // eight accumulators of at most 16 floats
        ref float t = ref tile[0];
        TOps.Store(a0, ref t, 0);
        TOps.Store(a1, ref t, (nuint)w);
        TOps.Store(a2, ref t, (nuint)(2 * w));
        TOps.Store(a3, ref t, (nuint)(3 * w));
        TOps.Store(a4, ref t, (nuint)(4 * w));
        TOps.Store(a5, ref t, (nuint)(5 * w));
        TOps.Store(a6, ref t, (nuint)(6 * w));
        TOps.Store(a7, ref t, (nuint)(7 * w));
        // The eight accumulators hold the vectors' 32-row results back to back: vector v at tile[32v..32v+32).
        int vectors = 8 / vectorsPerColumn;
        for (int v = 0; v < vectors; v++)
        {
            ref float yv = ref Unsafe.Add(ref y, v * yStride);
            ref float iv = ref Unsafe.Add(ref init, v * initStride);
            ref float tv = ref Unsafe.Add(ref t, v * PackedMatrix.PanelRows);
            if (rows == PackedMatrix.PanelRows)
            {
                for (int q = 0; q < vectorsPerColumn; q++)
                    TOps.Store(TOps.Add(TOps.Load(ref tv, (nuint)(q * w)), TOps.Load(ref iv, (nuint)(q * w))), ref yv, (nuint)(q * w));
            }
            else
            {
                for (int r = 0; r < rows; r++)
                    Unsafe.Add(ref yv, r) = Unsafe.Add(ref iv, r) + Unsafe.Add(ref tv, r);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(TVector value, ref float y, nuint offset, ref float init, bool hasInit)
    {
        if (hasInit)
            value = TOps.Add(value, TOps.Load(ref init, offset));
        TOps.Store(value, ref y, offset);
    }
}
