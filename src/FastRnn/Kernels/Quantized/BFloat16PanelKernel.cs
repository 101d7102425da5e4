using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row bfloat16 panel times one vector: each load of weight pairs is widened to two float vectors in registers
/// (<see cref="ISimdOps{TVector}.LoadBFloat16Pairs"/>) and FMA'd exactly as in <see cref="PanelKernel{TOps, TVector}"/>;
/// the sums are float32 throughout, so the only error is the weights' rounding to bfloat16.
/// </summary>
/// <remarks>
/// Two columns per iteration, each on its own set of accumulators: a column is 32/Width vectors (4 for AVX2, 2 for
/// AVX-512, 8 for 128-bit) from half as many pair loads, and two columns keep at least four independent FMA chains in
/// flight. With <see cref="SimdOpsScalar"/> (Width 1) the panel is summed row by row, each row's columns in order: the
/// scalar twin.
/// <para>From L3 or DRAM (<see cref="KernelSelector.OneVectorProductPrefetches"/>) each column's line is asked for
/// <see cref="PrefetchBytes"/> ahead: the FMAs then overlap the memory's latency, which the hardware prefetchers alone
/// left exposed (a 16 MiB matrix 20 % faster on Zen 1). A hint changes no sum.</para>
/// </remarks>
internal static class BFloat16PanelKernel<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    private const int P = PackedMatrix.PanelRows;

    /// <summary>Bytes ahead of the column being read that <c>prefetch</c> asks for: 4 KiB, 64 columns.</summary>
    public const int PrefetchBytes = 4096;

    /// <summary>acc[0..32) = panel · x over <paramref name="cols"/> columns of 32 bfloat16. <paramref name="prefetch"/>: the
    /// weights come from L3 or DRAM, and each column's line is asked for <see cref="PrefetchBytes"/> ahead (see the remarks);
    /// the sums are the same either way.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ref ushort panel, ref float x, int cols, ref float acc, bool prefetch = false)
    {
        if (TOps.Width == 1)
        {
            for (int r = 0; r < P; r++)
            {
                float sum = 0f;
                for (int k = 0; k < cols; k++)
                    sum += SimdOpsScalar.LoadBFloat16(ref panel, (nuint)(k * P + BFloat16Panels.Position(r))) * Unsafe.Add(ref x, k);
                Unsafe.Add(ref acc, r) = sum;
            }
            return;
        }

        int w = TOps.Width;
        int pairs = P / 2 / w; // pair loads per column: 1, 2 or 4
        // Pair load i of a column (2 · w elements at 2 · i · w) widens rows [i·w, i·w + w) into l_i and rows
        // [16 + i·w, 16 + i·w + w) into h_i (BFloat16Panels.Position); columns alternate between the a and b sets.
        TVector al0 = TOps.Zero, al1 = TOps.Zero, al2 = TOps.Zero, al3 = TOps.Zero, ah0 = TOps.Zero, ah1 = TOps.Zero, ah2 = TOps.Zero, ah3 = TOps.Zero;
        TVector bl0 = TOps.Zero, bl1 = TOps.Zero, bl2 = TOps.Zero, bl3 = TOps.Zero, bh0 = TOps.Zero, bh1 = TOps.Zero, bh2 = TOps.Zero, bh3 = TOps.Zero;
        TVector lo, hi, mask = TOps.BFloat16HighMask;
        // The column and x move by reference: recomputed from j, their addresses cost six integer instructions an
        // iteration, and on Zen 1 this loop is bound by issuing instructions (a product in L2 21 -> 24 GB/s).
        ref ushort c0 = ref panel;
        ref float xj = ref x;
        int j = 0;
        for (; j + 2 <= cols; j += 2)
        {
            ref ushort c1 = ref Unsafe.Add(ref c0, P);
            TVector x0 = TOps.Broadcast(xj), x1 = TOps.Broadcast(Unsafe.Add(ref xj, 1));
            if (prefetch)
            {
                Prefetch(ref c0);
                Prefetch(ref c1);
            }
            TOps.LoadBFloat16Pairs(ref c0, 0, mask, out lo, out hi);
            al0 = TOps.MultiplyAdd(lo, x0, al0);
            ah0 = TOps.MultiplyAdd(hi, x0, ah0);
            TOps.LoadBFloat16Pairs(ref c1, 0, mask, out lo, out hi);
            bl0 = TOps.MultiplyAdd(lo, x1, bl0);
            bh0 = TOps.MultiplyAdd(hi, x1, bh0);
            if (pairs > 1)
            {
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(2 * w), mask, out lo, out hi);
                al1 = TOps.MultiplyAdd(lo, x0, al1);
                ah1 = TOps.MultiplyAdd(hi, x0, ah1);
                TOps.LoadBFloat16Pairs(ref c1, (nuint)(2 * w), mask, out lo, out hi);
                bl1 = TOps.MultiplyAdd(lo, x1, bl1);
                bh1 = TOps.MultiplyAdd(hi, x1, bh1);
            }
            if (pairs > 2)
            {
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(4 * w), mask, out lo, out hi);
                al2 = TOps.MultiplyAdd(lo, x0, al2);
                ah2 = TOps.MultiplyAdd(hi, x0, ah2);
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(6 * w), mask, out lo, out hi);
                al3 = TOps.MultiplyAdd(lo, x0, al3);
                ah3 = TOps.MultiplyAdd(hi, x0, ah3);
                TOps.LoadBFloat16Pairs(ref c1, (nuint)(4 * w), mask, out lo, out hi);
                bl2 = TOps.MultiplyAdd(lo, x1, bl2);
                bh2 = TOps.MultiplyAdd(hi, x1, bh2);
                TOps.LoadBFloat16Pairs(ref c1, (nuint)(6 * w), mask, out lo, out hi);
                bl3 = TOps.MultiplyAdd(lo, x1, bl3);
                bh3 = TOps.MultiplyAdd(hi, x1, bh3);
            }
            c0 = ref Unsafe.Add(ref c0, 2 * P);
            xj = ref Unsafe.Add(ref xj, 2);
        }
        if (j < cols)
        {
            // The odd last column goes to the `a` set; `b` stays as it is.
            TVector x0 = TOps.Broadcast(xj);
            TOps.LoadBFloat16Pairs(ref c0, 0, mask, out lo, out hi);
            al0 = TOps.MultiplyAdd(lo, x0, al0);
            ah0 = TOps.MultiplyAdd(hi, x0, ah0);
            if (pairs > 1)
            {
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(2 * w), mask, out lo, out hi);
                al1 = TOps.MultiplyAdd(lo, x0, al1);
                ah1 = TOps.MultiplyAdd(hi, x0, ah1);
            }
            if (pairs > 2)
            {
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(4 * w), mask, out lo, out hi);
                al2 = TOps.MultiplyAdd(lo, x0, al2);
                ah2 = TOps.MultiplyAdd(hi, x0, ah2);
                TOps.LoadBFloat16Pairs(ref c0, (nuint)(6 * w), mask, out lo, out hi);
                al3 = TOps.MultiplyAdd(lo, x0, al3);
                ah3 = TOps.MultiplyAdd(hi, x0, ah3);
            }
        }
        const int half = P / 2;
        TOps.Store(TOps.Add(al0, bl0), ref acc, 0);
        TOps.Store(TOps.Add(ah0, bh0), ref acc, half);
        if (pairs > 1)
        {
            TOps.Store(TOps.Add(al1, bl1), ref acc, (nuint)w);
            TOps.Store(TOps.Add(ah1, bh1), ref acc, (nuint)(half + w));
        }
        if (pairs > 2)
        {
            TOps.Store(TOps.Add(al2, bl2), ref acc, (nuint)(2 * w));
            TOps.Store(TOps.Add(ah2, bh2), ref acc, (nuint)(half + 2 * w));
            TOps.Store(TOps.Add(al3, bl3), ref acc, (nuint)(3 * w));
            TOps.Store(TOps.Add(ah3, bh3), ref acc, (nuint)(half + 3 * w));
        }
    }

    // The line PrefetchBytes after this column into L2. A hint: past the end of the weights it fetches nothing useful and
    // faults nothing. The address is formed as a pointer, never as a managed reference beyond the buffer.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref ushort column)
    {
        if (Sse.IsSupported)
            Sse.Prefetch1((byte*)Unsafe.AsPointer(ref column) + PrefetchBytes);
    }
}
