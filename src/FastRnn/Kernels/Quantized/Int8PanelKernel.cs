using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row int8 panel segment times one quantized vector, in int32: acc[r] = Σ_k W_q[r, k] · x_q[k]. Written once
/// for every instruction set over <see cref="IInt8Ops{TAcc, TBytes}"/>; the scaling to float is the caller's.
/// </summary>
/// <remarks>
/// A quad (four columns) is 32/Width loads of 4·Width bytes, one per accumulator, all multiplied by the same broadcast
/// activations; integer sums are exact, so every variant — and the scalar twin — gives identical results.
/// </remarks>
internal static class Int8PanelKernel<TOps, TAcc, TBytes>
    where TOps : IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    private const int P = PackedMatrix.PanelRows;

    /// <param name="panel">The segment's first quad in the panel (<see cref="Int8Panels"/> layout).</param>
    /// <param name="rowSums">The panel's 32 row sums of the segment (<see cref="Int8Segment.RowSums"/>).</param>
    /// <param name="x">The quantized activations' operands (<see cref="Int8Operands"/>), zero-padded to whole quads.</param>
    /// <param name="quads">Quads in the segment.</param>
    /// <param name="acc">32 int32 sums, written (not accumulated).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ref sbyte panel, ref int rowSums, Int8Operands x, int quads, ref int acc)
    {
        if (TOps.Width == 1)
        {
            for (int r = 0; r < P; r++)
            {
                TAcc sum = TOps.Zero;
                for (int k = 0; k < quads; k++)
                {
                    sum = TOps.DotQuads(sum, TOps.BroadcastQuad(x.Operand(k)), TOps.BroadcastQuad(x.Signs(k)), TOps.LoadWeights(ref Unsafe.Add(ref panel, (k * P + r) * 4)));
                }
                TOps.Store(sum, ref Unsafe.Add(ref acc, r));
            }
            RemoveOffset(ref rowSums, ref acc);
            return;
        }

        int step = TOps.Width * 4; // bytes per load
        int v = P / TOps.Width;    // loads per quad: 2, 4 or 8
        // Eight accumulators whatever the width: quad q + i of an iteration goes to accumulators i·v … i·v + v − 1. VNNI's
        // vpdpbusd is itself the loop-carried add (a latency of several cycles), so the four chains of one 256-bit quad
        // left it waiting; integer sums are exact, so splitting them changes no bit.
        int quadsPerIteration = 8 / v;
        TAcc a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        int q = 0;
        for (; q + quadsPerIteration <= quads; q += quadsPerIteration)
        {
            ref sbyte wq = ref Unsafe.Add(ref panel, q * P * 4);
            if (v == 8)
            {
                TBytes magnitude = TOps.BroadcastQuad(x.Operand(q)), signs = TOps.BroadcastQuad(x.Signs(q));
                a0 = TOps.DotQuads(a0, magnitude, signs, TOps.LoadWeights(ref wq));
                a1 = TOps.DotQuads(a1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, step)));
                a2 = TOps.DotQuads(a2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 2 * step)));
                a3 = TOps.DotQuads(a3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 3 * step)));
                a4 = TOps.DotQuads(a4, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 4 * step)));
                a5 = TOps.DotQuads(a5, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 5 * step)));
                a6 = TOps.DotQuads(a6, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 6 * step)));
                a7 = TOps.DotQuads(a7, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 7 * step)));
            }
            else if (v == 4)
            {
                TBytes magnitude = TOps.BroadcastQuad(x.Operand(q)), signs = TOps.BroadcastQuad(x.Signs(q));
                a0 = TOps.DotQuads(a0, magnitude, signs, TOps.LoadWeights(ref wq));
                a1 = TOps.DotQuads(a1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, step)));
                a2 = TOps.DotQuads(a2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 2 * step)));
                a3 = TOps.DotQuads(a3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 3 * step)));
                magnitude = TOps.BroadcastQuad(x.Operand(q + 1));
                signs = TOps.BroadcastQuad(x.Signs(q + 1));
                a4 = TOps.DotQuads(a4, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 4 * step)));
                a5 = TOps.DotQuads(a5, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 5 * step)));
                a6 = TOps.DotQuads(a6, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 6 * step)));
                a7 = TOps.DotQuads(a7, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 7 * step)));
            }
            else
            {
                TBytes magnitude = TOps.BroadcastQuad(x.Operand(q)), signs = TOps.BroadcastQuad(x.Signs(q));
                a0 = TOps.DotQuads(a0, magnitude, signs, TOps.LoadWeights(ref wq));
                a1 = TOps.DotQuads(a1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, step)));
                magnitude = TOps.BroadcastQuad(x.Operand(q + 1));
                signs = TOps.BroadcastQuad(x.Signs(q + 1));
                a2 = TOps.DotQuads(a2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 2 * step)));
                a3 = TOps.DotQuads(a3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 3 * step)));
                magnitude = TOps.BroadcastQuad(x.Operand(q + 2));
                signs = TOps.BroadcastQuad(x.Signs(q + 2));
                a4 = TOps.DotQuads(a4, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 4 * step)));
                a5 = TOps.DotQuads(a5, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 5 * step)));
                magnitude = TOps.BroadcastQuad(x.Operand(q + 3));
                signs = TOps.BroadcastQuad(x.Signs(q + 3));
                a6 = TOps.DotQuads(a6, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 6 * step)));
                a7 = TOps.DotQuads(a7, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 7 * step)));
            }
        }
        // Leftover quads, one at a time, onto the first v accumulators.
        for (; q < quads; q++)
        {
            ref sbyte wq = ref Unsafe.Add(ref panel, q * P * 4);
            TBytes magnitude = TOps.BroadcastQuad(x.Operand(q)), signs = TOps.BroadcastQuad(x.Signs(q));
            a0 = TOps.DotQuads(a0, magnitude, signs, TOps.LoadWeights(ref wq));
            a1 = TOps.DotQuads(a1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, step)));
            if (v > 2)
            {
                a2 = TOps.DotQuads(a2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 2 * step)));
                a3 = TOps.DotQuads(a3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wq, 3 * step)));
            }
        }
        // Fold the accumulators that share rows (accumulator i covers rows (i % v) · Width).
        if (v == 4)
        {
            a0 = TOps.Add(a0, a4);
            a1 = TOps.Add(a1, a5);
            a2 = TOps.Add(a2, a6);
            a3 = TOps.Add(a3, a7);
        }
        else if (v == 2)
        {
            a0 = TOps.Add(TOps.Add(a0, a2), TOps.Add(a4, a6));
            a1 = TOps.Add(TOps.Add(a1, a3), TOps.Add(a5, a7));
        }
        int width = TOps.Width;
        TOps.Store(a0, ref acc);
        TOps.Store(a1, ref Unsafe.Add(ref acc, width));
        if (v > 2)
        {
            TOps.Store(a2, ref Unsafe.Add(ref acc, 2 * width));
            TOps.Store(a3, ref Unsafe.Add(ref acc, 3 * width));
        }
        if (v > 4)
        {
            TOps.Store(a4, ref Unsafe.Add(ref acc, 4 * width));
            TOps.Store(a5, ref Unsafe.Add(ref acc, 5 * width));
            TOps.Store(a6, ref Unsafe.Add(ref acc, 6 * width));
            TOps.Store(a7, ref Unsafe.Add(ref acc, 7 * width));
        }
        RemoveOffset(ref rowSums, ref acc);
    }

    /// <summary>Whether <see cref="DotTwo"/> has a kernel of its own here: two panels' accumulators (four each) fit the
    /// registers for 256- and 512-bit loads; the 128-bit and scalar variants run <see cref="Dot"/> twice.</summary>
    public static bool CanDotTwo => TOps.Width > 1 && P / TOps.Width <= 4;

    /// <summary>
    /// <see cref="Dot"/> for two panels of the same segment at once (<paramref name="panelA"/> into <paramref name="accA"/>,
    /// <paramref name="panelB"/> into <paramref name="accB"/>), each panel's bytes read as its own stream in one loop: a
    /// product whose weights come from L3 or DRAM gets them faster as two streams than as one (see
    /// <see cref="KernelSelector.ReadsAsTwoStreams"/>). Integer sums are exact, so the results are those of two calls
    /// of <see cref="Dot"/> to the bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotTwo(ref sbyte panelA, ref int rowSumsA, ref int accA, ref sbyte panelB, ref int rowSumsB, ref int accB, Int8Operands x, int quads)
    {
        if (!CanDotTwo)
        {
            Dot(ref panelA, ref rowSumsA, x, quads, ref accA);
            Dot(ref panelB, ref rowSumsB, x, quads, ref accB);
            return;
        }

        int step = TOps.Width * 4;
        int v = P / TOps.Width; // loads per quad: 4 (256-bit) or 2 (512-bit)
        // Four accumulators per panel: one quad per iteration for 256-bit loads, two for 512-bit (quad q + 1 on a2, a3).
        int quadsPerIteration = 4 / v;
        TAcc a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
        int q = 0;
        for (; q + quadsPerIteration <= quads; q += quadsPerIteration)
        {
            nint at = q * P * 4;
            ref sbyte wa = ref Unsafe.Add(ref panelA, at), wb = ref Unsafe.Add(ref panelB, at);
            TBytes magnitude = TOps.BroadcastQuad(x.Operand(q)), signs = TOps.BroadcastQuad(x.Signs(q));
            DotFirstTwo(ref a0, ref a1, ref b0, ref b1, magnitude, signs, ref wa, ref wb, step);
            if (v == 2)
            {
                magnitude = TOps.BroadcastQuad(x.Operand(q + 1));
                signs = TOps.BroadcastQuad(x.Signs(q + 1));
            }
            a2 = TOps.DotQuads(a2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wa, 2 * step)));
            b2 = TOps.DotQuads(b2, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wb, 2 * step)));
            a3 = TOps.DotQuads(a3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wa, 3 * step)));
            b3 = TOps.DotQuads(b3, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wb, 3 * step)));
        }
        // An odd last quad of 512-bit loads, onto the first two accumulators of each panel.
        for (; q < quads; q++)
        {
            nint at = q * P * 4;
            ref sbyte wa = ref Unsafe.Add(ref panelA, at), wb = ref Unsafe.Add(ref panelB, at);
            DotFirstTwo(ref a0, ref a1, ref b0, ref b1, TOps.BroadcastQuad(x.Operand(q)), TOps.BroadcastQuad(x.Signs(q)), ref wa, ref wb, step);
        }
        StoreFour(a0, a1, a2, a3, v, ref accA);
        StoreFour(b0, b1, b2, b3, v, ref accB);
        RemoveOffset(ref rowSumsA, ref accA);
        RemoveOffset(ref rowSumsB, ref accB);
    }

    // The first two loads of a quad of each panel (all of a quad's rows for 512-bit loads, half of them for 256-bit).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotFirstTwo(ref TAcc a0, ref TAcc a1, ref TAcc b0, ref TAcc b1, TBytes magnitude, TBytes signs, ref sbyte wa, ref sbyte wb, int step)
    {
        a0 = TOps.DotQuads(a0, magnitude, signs, TOps.LoadWeights(ref wa));
        b0 = TOps.DotQuads(b0, magnitude, signs, TOps.LoadWeights(ref wb));
        a1 = TOps.DotQuads(a1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wa, step)));
        b1 = TOps.DotQuads(b1, magnitude, signs, TOps.LoadWeights(ref Unsafe.Add(ref wb, step)));
    }

    // A panel's four accumulators of DotTwo into its 32 sums: as they are for 256-bit loads (accumulator i holds rows
    // i · Width ...), folded in pairs for 512-bit ones (a2, a3 hold the same rows as a0, a1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFour(TAcc a0, TAcc a1, TAcc a2, TAcc a3, int v, ref int acc)
    {
        int width = TOps.Width;
        if (v == 2)
        {
            TOps.Store(TOps.Add(a0, a2), ref acc);
            TOps.Store(TOps.Add(a1, a3), ref Unsafe.Add(ref acc, width));
            return;
        }
        TOps.Store(a0, ref acc);
        TOps.Store(a1, ref Unsafe.Add(ref acc, width));
        TOps.Store(a2, ref Unsafe.Add(ref acc, 2 * width));
        TOps.Store(a3, ref Unsafe.Add(ref acc, 3 * width));
    }

    /// <summary>acc[r] −= offset · Σ_k w[r, k]: the sums of an offset kernel become Σ_k w[r, k] · x[k] (nothing for the
    /// sign trick, whose offset is the JIT-time constant 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RemoveOffset(ref int rowSums, ref int acc)
    {
        if (TOps.ActivationOffset != 0)
            QuantizedEpilogue.RemoveOffset(TOps.ActivationOffset, ref rowSums, ref acc);
    }
}
