using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row bfloat16 panel times several vectors: sums[n · 32 + r] = panel · x_n. Each widened weight vector feeds every
/// vector of a tile, and every sum is bit-identical to what <see cref="BFloat16PanelKernel{TOps, TVector}.Dot"/> gives
/// for that vector alone.
/// </summary>
/// <remarks>
/// <para><b>Why bit-identical.</b> The one-vector kernel sums each row in two FMA chains — the even columns in order and
/// the odd columns in order — and adds the two at the end (its accumulator sets a and b; an odd last column is even).
/// This kernel runs exactly those chains, as two passes over the columns (even, then odd), and ends with the same add.
/// A chain cut by a K block continues through <c>partials</c>: a float stored and loaded again is unchanged.</para>
/// <para><b>Micro-tile.</b> Up to <see cref="TileVectors"/> (6) vectors × one strip of two vectors (rows [l, l + Width)
/// and [16 + l, 16 + l + Width), one load of row pairs, see <see cref="BFloat16Panels"/>) of one parity: per column
/// one weight load widened into two vectors, and six broadcasts for twelve FMAs. Twelve accumulators
/// cover the FMA latency on two pipes, and 12 + 2 + 1 registers fit AVX2's and SSE's sixteen — the shape of
/// <see cref="GemmKernel{TOps, TVector}"/>, for the same reasons; with AVX-512 a strip is the whole panel column.</para>
/// <para><b>Blocking.</b> A K block is <see cref="BlockColumns"/> columns, 16 KiB of bfloat16 (a panel column is one
/// 64-byte line): every tile, strip and parity passes over it while it stays in L1, where a whole panel of 1,024
/// columns (64 KiB) would not.</para>
/// </remarks>
internal static class BFloat16TileKernel<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>Vectors per full micro-tile.</summary>
    public const int TileVectors = 6;

    /// <summary>Columns per K block: 256 · 64 bytes = 16 KiB.</summary>
    public const int BlockColumns = 256;

    /// <summary>Floats of <c>partials</c> per vector: its even- and odd-column chains, 32 rows each.</summary>
    public const int PartialsPerVector = 2 * P;

    private const int P = PackedMatrix.PanelRows;

    /// <param name="panel">The panel's first column.</param>
    /// <param name="x">The first vector.</param>
    /// <param name="xStride">Floats from one vector to the next.</param>
    /// <param name="cols">Columns of the panel (floats of each vector).</param>
    /// <param name="count">Vectors.</param>
    /// <param name="partials">Scratch of <see cref="PartialsPerVector"/> · count floats.</param>
    /// <param name="sums">count · 32 sums, written (not accumulated).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ref ushort panel, ref float x, int xStride, int cols, int count, ref float partials, ref float sums)
    {
        if (TOps.Width == 1)
        {
            // The scalar twin: vector after vector through the scalar one-vector loop, so equal to it by construction.
            for (int n = 0; n < count; n++)
                BFloat16PanelKernel<TOps, TVector>.Dot(ref panel, ref Unsafe.Add(ref x, (nint)n * xStride), cols, ref Unsafe.Add(ref sums, n * P));
            return;
        }

        // Chains start at zero, as the one-vector kernel's accumulators do (fma(w, x, +0) rounds w · x alone).
        MemoryMarshal.CreateSpan(ref partials, count * PartialsPerVector).Clear();
        for (int k0 = 0; k0 < cols; k0 += BlockColumns)
        {
            int kLength = Math.Min(BlockColumns, cols - k0);
            // Tiles outside strips and parities: a tile's block of x (6 · 256 floats) stays in L1 with the weights while
            // every strip and both parities pass over it, so x comes from L2 once per panel and block.
            for (int m0 = 0; m0 < count; m0 += TileVectors)
            {
                int vectors = Math.Min(TileVectors, count - m0);
                ref float xTile = ref Unsafe.Add(ref x, (nint)m0 * xStride);
                ref float chainsTile = ref Unsafe.Add(ref partials, m0 * PartialsPerVector);
                // A strip is one pair load per column: rows [lane, lane + Width) and [16 + lane, 16 + lane + Width).
                for (int lane = 0; lane < P / 2; lane += TOps.Width)
                {
                    for (int parity = 0; parity < 2; parity++)
                    {
                        // Columns k0 + parity, k0 + parity + 2, ... of the block (block starts are even, so parity is global).
                        int columns = (kLength - parity + 1) / 2;
                        if (columns == 0)
                            continue;
                        int first = k0 + parity;
                        Tile(vectors, ref Unsafe.Add(ref panel, first * P + 2 * lane), ref Unsafe.Add(ref xTile, first), xStride, columns,
                            ref Unsafe.Add(ref chainsTile, parity * P + lane));
                    }
                }
            }
        }

        // The one-vector kernel's last step, a + b, lane by lane (a vector add rounds each lane as a scalar add does).
        for (int n = 0; n < count; n++)
        {
            ref float even = ref Unsafe.Add(ref partials, n * PartialsPerVector);
            ref float sum = ref Unsafe.Add(ref sums, n * P);
            for (int r = 0; r < P; r++)
                Unsafe.Add(ref sum, r) = Unsafe.Add(ref even, r) + Unsafe.Add(ref even, P + r);
        }
    }

    /// <summary>The micro-tile compiled for <paramref name="vectors"/> (1 to 6) vectors.</summary>
    private static void Tile(int vectors, ref ushort strip, ref float x, int xStride, int columns, ref float chains)
    {
        switch (vectors)
        {
            case 6: Tile<SixVectors>(ref strip, ref x, xStride, columns, ref chains); break;
            case 5: Tile<FiveVectors>(ref strip, ref x, xStride, columns, ref chains); break;
            case 4: Tile<FourVectors>(ref strip, ref x, xStride, columns, ref chains); break;
            case 3: Tile<ThreeVectors>(ref strip, ref x, xStride, columns, ref chains); break;
            case 2: Tile<TwoVectors>(ref strip, ref x, xStride, columns, ref chains); break;
            default: Tile<OneVector>(ref strip, ref x, xStride, columns, ref chains); break;
        }
    }

    /// <summary>
    /// chains_i[0..Width) and chains_i[16..16 + Width) += strip · x_i over <paramref name="columns"/> columns two apart, for the
    /// <typeparamref name="TN"/> vectors i (x_i at <paramref name="x"/> + i · xStride, read at every other float; chain i
    /// at <paramref name="chains"/> + i · <see cref="PartialsPerVector"/>). Accumulators of vectors past TN.Count are
    /// never touched: the conditions below are JIT-time constants.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN>(ref ushort strip, ref float x, int xStride, int columns, ref float chains)
        where TN : ITileVectors
    {
        int n = TN.Count;
        const int c = PartialsPerVector, w = P / 2; // a strip's second rows are 16 lanes on
        ref float x0 = ref x;
        ref float x1 = ref Unsafe.Add(ref x, n > 1 ? xStride : 0);
        ref float x2 = ref Unsafe.Add(ref x, n > 2 ? 2 * xStride : 0);
        ref float x3 = ref Unsafe.Add(ref x, n > 3 ? 3 * xStride : 0);
        ref float x4 = ref Unsafe.Add(ref x, n > 4 ? 4 * xStride : 0);
        ref float x5 = ref Unsafe.Add(ref x, n > 5 ? 5 * xStride : 0);

        TVector c00 = TOps.Load(ref chains, 0), c01 = TOps.Load(ref chains, (nuint)w);
        TVector c10 = n > 1 ? TOps.Load(ref chains, c) : TOps.Zero, c11 = n > 1 ? TOps.Load(ref chains, (nuint)(c + w)) : TOps.Zero;
        TVector c20 = n > 2 ? TOps.Load(ref chains, 2 * c) : TOps.Zero, c21 = n > 2 ? TOps.Load(ref chains, (nuint)(2 * c + w)) : TOps.Zero;
        TVector c30 = n > 3 ? TOps.Load(ref chains, 3 * c) : TOps.Zero, c31 = n > 3 ? TOps.Load(ref chains, (nuint)(3 * c + w)) : TOps.Zero;
        TVector c40 = n > 4 ? TOps.Load(ref chains, 4 * c) : TOps.Zero, c41 = n > 4 ? TOps.Load(ref chains, (nuint)(4 * c + w)) : TOps.Zero;
        TVector c50 = n > 5 ? TOps.Load(ref chains, 5 * c) : TOps.Zero, c51 = n > 5 ? TOps.Load(ref chains, (nuint)(5 * c + w)) : TOps.Zero;

        ref ushort wj = ref strip;
        TVector mask = TOps.BFloat16HighMask;
        for (int j = 0; j < columns; j++)
        {
            TOps.LoadBFloat16Pairs(ref wj, 0, mask, out TVector w0, out TVector w1);
            nint k = 2 * j;
            TVector b = TOps.Broadcast(Unsafe.Add(ref x0, k));
            c00 = TOps.MultiplyAdd(w0, b, c00);
            c01 = TOps.MultiplyAdd(w1, b, c01);
            if (n > 1)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x1, k));
                c10 = TOps.MultiplyAdd(w0, b, c10);
                c11 = TOps.MultiplyAdd(w1, b, c11);
            }
            if (n > 2)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x2, k));
                c20 = TOps.MultiplyAdd(w0, b, c20);
                c21 = TOps.MultiplyAdd(w1, b, c21);
            }
            if (n > 3)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x3, k));
                c30 = TOps.MultiplyAdd(w0, b, c30);
                c31 = TOps.MultiplyAdd(w1, b, c31);
            }
            if (n > 4)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x4, k));
                c40 = TOps.MultiplyAdd(w0, b, c40);
                c41 = TOps.MultiplyAdd(w1, b, c41);
            }
            if (n > 5)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x5, k));
                c50 = TOps.MultiplyAdd(w0, b, c50);
                c51 = TOps.MultiplyAdd(w1, b, c51);
            }
            wj = ref Unsafe.Add(ref wj, 2 * P);
        }

        TOps.Store(c00, ref chains, 0);
        TOps.Store(c01, ref chains, (nuint)w);
        if (n > 1)
        {
            TOps.Store(c10, ref chains, c);
            TOps.Store(c11, ref chains, (nuint)(c + w));
        }
        if (n > 2)
        {
            TOps.Store(c20, ref chains, 2 * c);
            TOps.Store(c21, ref chains, (nuint)(2 * c + w));
        }
        if (n > 3)
        {
            TOps.Store(c30, ref chains, 3 * c);
            TOps.Store(c31, ref chains, (nuint)(3 * c + w));
        }
        if (n > 4)
        {
            TOps.Store(c40, ref chains, 4 * c);
            TOps.Store(c41, ref chains, (nuint)(4 * c + w));
        }
        if (n > 5)
        {
            TOps.Store(c50, ref chains, 5 * c);
            TOps.Store(c51, ref chains, (nuint)(5 * c + w));
        }
    }
}
