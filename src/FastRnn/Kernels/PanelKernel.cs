using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row panel of a <see cref="PackedMatrix"/> times one vector (the GEMV of a batch-1 step), written once for
/// every vector width.
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
    /// y[0..rows) = (accumulate ? y : 0) + (hasBias ? bias : 0) + panel · x, where the panel has <paramref name="cols"/>
    /// columns of 32 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply(ref float panel, ref float x, int cols, ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
        => Multiply(ref panel, ref x, cols, ref panel, ref x, 0, ref y, rows, ref bias, hasBias, accumulate);

    /// <summary>
    /// The same over two panels side by side, one row block of a pair [A | B] times [a ; b]: <paramref name="colsA"/>
    /// columns of <paramref name="panelA"/> times <paramref name="xA"/>, then <paramref name="colsB"/> of
    /// <paramref name="panelB"/> times <paramref name="xB"/>, into the same accumulators (one sum per row, one write).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        ref float panelA, ref float xA, int colsA, ref float panelB, ref float xB, int colsB, ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
    {
        int w = TOps.Width;
        int vectorsPerColumn = PackedMatrix.PanelRows / w;
        int columnsPerIteration = 8 / vectorsPerColumn;

        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVector a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;

        // Both halves side by side while both have columns: accumulators 0-3 take A's next columns and 4-7 B's, so the
        // two weight streams advance together (one after the other, a panel's halves read as two short streams were
        // 5 % slower for H = 64). Not for 128-bit vectors, whose column fills all eight accumulators.
        int paired = vectorsPerColumn <= 4
            ? SideBySide(ref panelA, ref xA, ref panelB, ref xB, Math.Min(colsA, colsB), ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7)
            : 0;

        // The rest of each half (all of it for one matrix), one half after the other.
        for (int half = 0; half < 2; half++)
        {
            ref float panel = ref half == 0 ? ref panelA : ref panelB;
            ref float x = ref half == 0 ? ref xA : ref xB;
            int cols = half == 0 ? colsA : colsB;
            int j = paired;
            // The column and x move by reference rather than being recomputed from j (as in BFloat16PanelKernel).
            ref float wj = ref Unsafe.Add(ref panel, j * PackedMatrix.PanelRows);
            ref float xj = ref Unsafe.Add(ref x, j);
            for (; j + columnsPerIteration <= cols; j += columnsPerIteration)
            {
                // Accumulator i multiplies column j + i / vectorsPerColumn, i.e. broadcast q[i / 2] with
                // q[m] = x[j + m * columnsPerIteration / 4]; duplicates fold to one broadcast after specialisation.
                TVector q0 = TOps.Broadcast(xj);
                TVector q1 = TOps.Broadcast(Unsafe.Add(ref xj, columnsPerIteration / 4));
                TVector q2 = TOps.Broadcast(Unsafe.Add(ref xj, 2 * columnsPerIteration / 4));
                TVector q3 = TOps.Broadcast(Unsafe.Add(ref xj, 3 * columnsPerIteration / 4));
                a0 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(0 * w)), q0, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(1 * w)), q0, a1);
                a2 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(2 * w)), q1, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(3 * w)), q1, a3);
                a4 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(4 * w)), q2, a4);
                a5 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(5 * w)), q2, a5);
                a6 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(6 * w)), q3, a6);
                a7 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(7 * w)), q3, a7);
                wj = ref Unsafe.Add(ref wj, columnsPerIteration * PackedMatrix.PanelRows);
                xj = ref Unsafe.Add(ref xj, columnsPerIteration);
            }

            // Leftover columns, one at a time: vector i of a single column covers rows i * w, as in the main loop.
            for (; j < cols; j++)
            {
                TVector b = TOps.Broadcast(xj);
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
                wj = ref Unsafe.Add(ref wj, PackedMatrix.PanelRows);
                xj = ref Unsafe.Add(ref xj, 1);
            }
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

        StorePanel(a0, a1, a2, a3, a4, a5, a6, a7, ref y, rows, ref bias, hasBias, accumulate);
    }

    // A panel's folded accumulators (vector i covers rows i * Width; the first PanelRows / Width of them hold rows) into
    // y (+ bias, + y); a partial last panel goes through a stack copy, as the destination may end before the panel does.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePanel(
        TVector a0, TVector a1, TVector a2, TVector a3, TVector a4, TVector a5, TVector a6, TVector a7,
        ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
    {
        int w = TOps.Width, vectorsPerColumn = PackedMatrix.PanelRows / w;
        if (rows == PackedMatrix.PanelRows)
        {
            Write(a0, ref y, 0, ref bias, hasBias, accumulate);
            Write(a1, ref y, (nuint)w, ref bias, hasBias, accumulate);
            if (vectorsPerColumn > 2)
            {
                Write(a2, ref y, (nuint)(2 * w), ref bias, hasBias, accumulate);
                Write(a3, ref y, (nuint)(3 * w), ref bias, hasBias, accumulate);
            }
            if (vectorsPerColumn > 4)
            {
                Write(a4, ref y, (nuint)(4 * w), ref bias, hasBias, accumulate);
                Write(a5, ref y, (nuint)(5 * w), ref bias, hasBias, accumulate);
                Write(a6, ref y, (nuint)(6 * w), ref bias, hasBias, accumulate);
                Write(a7, ref y, (nuint)(7 * w), ref bias, hasBias, accumulate);
            }
            return;
        }
        StorePartial(a0, a1, a2, a3, a4, a5, a6, a7, ref y, rows, ref bias, hasBias, accumulate);
    }

    // The last panel of a matrix whose rows end inside it, through a stack copy (kept out of line: a stackalloc would
    // stop StorePanel from being inlined into the kernels).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StorePartial(
        TVector a0, TVector a1, TVector a2, TVector a3, TVector a4, TVector a5, TVector a6, TVector a7,
        ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
    {
        int w = TOps.Width, vectorsPerColumn = PackedMatrix.PanelRows / w;
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
        GemmKernel<TOps, TVector>.WriteTail(ref t, ref y, rows, ref bias, hasBias, accumulate);
    }

    /// <summary>Whether <see cref="MultiplyTwo"/> runs for this vector width: a panel column of at most four vectors.</summary>
    public static bool CanMultiplyTwo => TOps.Width > 1 && PackedMatrix.PanelRows / TOps.Width <= 4;

    /// <summary>
    /// Two independent products over one row block (panel) each of two matrices, in one pass:
    /// yA = (accumulate ? yA : 0) + (biasA) + panelA · xA and the same for B, accumulators 0-3 taking A's columns and 4-7 B's, so
    /// that the two weight streams advance together (a GRU step's W_ih x and W_hh h, which cannot be summed).
    /// </summary>
    /// <remarks>
    /// Two streams read from L3 or DRAM at once come in faster than one after the other: on a Zen 1 guest two 12 MiB
    /// matrices took 1.80-1.92 ms side by side against 2.27-2.38 ms one after the other, two 3 MiB ones 229-250 µs
    /// against 344-361. Four accumulators per matrix still keep eight FMAs in flight. Only for widths whose panel
    /// column is at most four vectors (<see cref="CanMultiplyTwo"/>): a 128-bit column needs all eight.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyTwo(
        ref float panelA, ref float xA, int colsA, ref float yA, ref float biasA, bool hasBiasA,
        ref float panelB, ref float xB, int colsB, ref float yB, ref float biasB, bool hasBiasB, int rowsA, int rowsB, bool accumulate)
    {
        int w = TOps.Width;
        int vectorsPerColumn = PackedMatrix.PanelRows / w;
        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        TVector b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
        int j = SideBySide(ref panelA, ref xA, ref panelB, ref xB, Math.Min(colsA, colsB), ref a0, ref a1, ref a2, ref a3, ref b0, ref b1, ref b2, ref b3);
        Rest(ref panelA, ref xA, j, colsA, ref a0, ref a1, ref a2, ref a3);
        Rest(ref panelB, ref xB, j, colsB, ref b0, ref b1, ref b2, ref b3);
        StoreFour(a0, a1, a2, a3, ref yA, rowsA, ref biasA, hasBiasA, accumulate);
        StoreFour(b0, b1, b2, b3, ref yB, rowsB, ref biasB, hasBiasB, accumulate);
    }

    /// <summary>
    /// The first columns of two panels side by side, as many as both have in whole iterations of <paramref name="columns"/>:
    /// a0-a3 take A's and b0-b3 B's, so that the two weight streams advance together; returns the columns done. Accumulator
    /// i multiplies column j + i / vectorsPerColumn of its matrix (panel columns of at most four vectors).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SideBySide(
        ref float panelA, ref float xA, ref float panelB, ref float xB, int columns,
        ref TVector a0, ref TVector a1, ref TVector a2, ref TVector a3, ref TVector b0, ref TVector b1, ref TVector b2, ref TVector b3)
    {
        int w = TOps.Width;
        int vectorsPerColumn = PackedMatrix.PanelRows / w;
        int each = 4 / vectorsPerColumn; // columns of each matrix per iteration
        int j = 0;
        for (; j + each <= columns; j += each)
        {
            ref float wa = ref Unsafe.Add(ref panelA, j * PackedMatrix.PanelRows);
            ref float wb = ref Unsafe.Add(ref panelB, j * PackedMatrix.PanelRows);
            TVector p0 = TOps.Broadcast(Unsafe.Add(ref xA, j));
            TVector p1 = TOps.Broadcast(Unsafe.Add(ref xA, j + 2 / vectorsPerColumn));
            TVector q0 = TOps.Broadcast(Unsafe.Add(ref xB, j));
            TVector q1 = TOps.Broadcast(Unsafe.Add(ref xB, j + 2 / vectorsPerColumn));
            a0 = TOps.MultiplyAdd(TOps.Load(ref wa, 0), p0, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(ref wa, (nuint)w), p0, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(ref wa, (nuint)(2 * w)), p1, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(ref wa, (nuint)(3 * w)), p1, a3);
            b0 = TOps.MultiplyAdd(TOps.Load(ref wb, 0), q0, b0);
            b1 = TOps.MultiplyAdd(TOps.Load(ref wb, (nuint)w), q0, b1);
            b2 = TOps.MultiplyAdd(TOps.Load(ref wb, (nuint)(2 * w)), q1, b2);
            b3 = TOps.MultiplyAdd(TOps.Load(ref wb, (nuint)(3 * w)), q1, b3);
        }
        return j;
    }

    // The columns [from, cols) of one matrix of MultiplyTwo, one at a time: vector i of a column covers rows i * w.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rest(ref float panel, ref float x, int from, int cols, ref TVector a0, ref TVector a1, ref TVector a2, ref TVector a3)
    {
        int w = TOps.Width;
        for (int j = from; j < cols; j++)
        {
            ref float wj = ref Unsafe.Add(ref panel, j * PackedMatrix.PanelRows);
            TVector b = TOps.Broadcast(Unsafe.Add(ref x, j));
            a0 = TOps.MultiplyAdd(TOps.Load(ref wj, 0), b, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)w), b, a1);
            if (PackedMatrix.PanelRows / w > 2)
            {
                a2 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(2 * w)), b, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(ref wj, (nuint)(3 * w)), b, a3);
            }
        }
    }

    // One matrix's four accumulators of MultiplyTwo into y (+ bias): with two vectors a column, 2 and 3 hold the second
    // column of each iteration and fold into 0 and 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFour(TVector a0, TVector a1, TVector a2, TVector a3, ref float y, int rows, ref float bias, bool hasBias, bool accumulate)
    {
        if (PackedMatrix.PanelRows / TOps.Width == 2)
        {
            a0 = TOps.Add(a0, a2);
            a1 = TOps.Add(a1, a3);
        }
        TVector zero = TOps.Zero;
        StorePanel(a0, a1, a2, a3, zero, zero, zero, zero, ref y, rows, ref bias, hasBias, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(TVector value, ref float y, nuint offset, ref float bias, bool hasBias, bool accumulate)
    {
        if (hasBias)
            value = TOps.Add(TOps.Load(ref bias, offset), value);
        if (accumulate)
            value = TOps.Add(TOps.Load(ref y, offset), value);
        TOps.Store(value, ref y, offset);
    }
}
