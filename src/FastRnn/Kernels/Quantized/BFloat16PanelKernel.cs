using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row bfloat16 panel times one vector: each weight vector is widened to float in registers
/// (<see cref="ISimdOps{TVector}.LoadBFloat16"/>) and FMA'd exactly as in <see cref="PanelKernel{TOps, TVector}"/>;
/// the sums are float32 throughout, so the only error is the weights' rounding to bfloat16.
/// </summary>
/// <remarks>
/// Two columns per iteration, each on its own set of accumulators: a column is 32/Width vectors (4 for AVX2, 2 for
/// AVX-512, 8 for 128-bit), and two columns keep at least four independent FMA chains in flight. With
/// <see cref="SimdOpsScalar"/> (Width 1) the panel is summed row by row, each row's columns in order: the scalar twin.
/// </remarks>
internal static class BFloat16PanelKernel<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    private const int P = PackedMatrix.PanelRows;

    /// <summary>acc[0..32) = panel · x over <paramref name="cols"/> columns of 32 bfloat16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ref ushort panel, ref float x, int cols, ref float acc)
    {
        if (TOps.Width == 1)
        {
            for (int r = 0; r < P; r++)
            {
                float sum = 0f;
                for (int k = 0; k < cols; k++)
                    sum += SimdOpsScalar.LoadBFloat16(ref panel, (nuint)(k * P + r)) * Unsafe.Add(ref x, k);
                Unsafe.Add(ref acc, r) = sum;
            }
            return;
        }

        int w = TOps.Width;
        int v = P / w; // vectors per column: 2, 4 or 8
        TVector a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        TVector b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero, b4 = TOps.Zero, b5 = TOps.Zero, b6 = TOps.Zero, b7 = TOps.Zero;
        int j = 0;
        for (; j + 2 <= cols; j += 2)
        {
            ref ushort c0 = ref Unsafe.Add(ref panel, j * P);
            ref ushort c1 = ref Unsafe.Add(ref panel, (j + 1) * P);
            TVector x0 = TOps.Broadcast(Unsafe.Add(ref x, j)), x1 = TOps.Broadcast(Unsafe.Add(ref x, j + 1));
            a0 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, 0), x0, a0);
            a1 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)w), x0, a1);
            b0 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, 0), x1, b0);
            b1 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)w), x1, b1);
            if (v > 2)
            {
                a2 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(2 * w)), x0, a2);
                a3 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(3 * w)), x0, a3);
                b2 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(2 * w)), x1, b2);
                b3 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(3 * w)), x1, b3);
            }
            if (v > 4)
            {
                a4 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(4 * w)), x0, a4);
                a5 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(5 * w)), x0, a5);
                a6 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(6 * w)), x0, a6);
                a7 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(7 * w)), x0, a7);
                b4 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(4 * w)), x1, b4);
                b5 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(5 * w)), x1, b5);
                b6 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(6 * w)), x1, b6);
                b7 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c1, (nuint)(7 * w)), x1, b7);
            }
        }
        if (j < cols)
        {
            // The odd last column goes to the `a` set; `b` stays as it is.
            ref ushort c0 = ref Unsafe.Add(ref panel, j * P);
            TVector x0 = TOps.Broadcast(Unsafe.Add(ref x, j));
            a0 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, 0), x0, a0);
            a1 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)w), x0, a1);
            if (v > 2)
            {
                a2 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(2 * w)), x0, a2);
                a3 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(3 * w)), x0, a3);
            }
            if (v > 4)
            {
                a4 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(4 * w)), x0, a4);
                a5 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(5 * w)), x0, a5);
                a6 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(6 * w)), x0, a6);
                a7 = TOps.MultiplyAdd(TOps.LoadBFloat16(ref c0, (nuint)(7 * w)), x0, a7);
            }
        }
        TOps.Store(TOps.Add(a0, b0), ref acc, 0);
        TOps.Store(TOps.Add(a1, b1), ref acc, (nuint)w);
        if (v > 2)
        {
            TOps.Store(TOps.Add(a2, b2), ref acc, (nuint)(2 * w));
            TOps.Store(TOps.Add(a3, b3), ref acc, (nuint)(3 * w));
        }
        if (v > 4)
        {
            TOps.Store(TOps.Add(a4, b4), ref acc, (nuint)(4 * w));
            TOps.Store(TOps.Add(a5, b5), ref acc, (nuint)(5 * w));
            TOps.Store(TOps.Add(a6, b6), ref acc, (nuint)(6 * w));
            TOps.Store(TOps.Add(a7, b7), ref acc, (nuint)(7 * w));
        }
    }
}
