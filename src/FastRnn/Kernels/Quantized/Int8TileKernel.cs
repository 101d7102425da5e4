using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Kernels;

/// <summary>
/// One 32-row int8 panel segment times several quantized vectors, in int32: acc[n · 32 + r] = Σ_k W_q[r, k] · x_n,q[k].
/// Each weight load feeds every vector of a tile; integer sums are exact, so the result equals
/// <see cref="Int8PanelKernel{TOps, TAcc, TBytes}.Dot"/> for each vector alone, on every variant, to the bit.
/// </summary>
/// <remarks>
/// <para><b>Micro-tile.</b> Up to <see cref="TileVectorsFor"/> vectors × one strip of two loads (2 · Width rows, 8 · Width
/// bytes per quad). Per quad and vector the activations' operand and signs (<see cref="Int8Operands"/>) are broadcast once; per
/// vector and load the dot product accumulates against the shared weights. With the sign trick a tile is four vectors:
/// eight accumulators, two weight registers and the per-vector temporaries (magnitude, signs, the signed weights,
/// vpmaddubsw's pairs and its constant of ones) fit AVX2's sixteen registers; six vectors would not. The sign trick
/// costs an instruction per vector and load (the sign is x's), so there the tile saves weight loads and cache traffic
/// rather than integer instructions. VNNI's offset activations meet the weights as they are, one vpdpbusd per vector
/// and load, so its tile is six vectors: twelve accumulators, two weights and one broadcast fit the sixteen, and twelve
/// chains cover vpdpbusd's latency where eight left it waiting (Zen 5, a batch-16 int8 LSTM 512 step 200 → 185 µs, a
/// pool tick of 64 int8 LSTM 256 streams 221 → 204 µs).</para>
/// <para><b>Offset.</b> For VNNI the sums carry 128 · Σ_k w[r, k] until the end, where it is subtracted per vector with
/// the segment's row sums (<see cref="Int8PanelKernel{TOps, TAcc, TBytes}.RemoveOffset"/>).</para>
/// <para><b>Blocking.</b> A K block is <see cref="BlockQuads"/> quads, 16 KiB (a quad of a panel is 128 bytes): every tile
/// and strip passes over it while it stays in L1, where a segment of 1,024 columns (32 KiB) would crowd it.</para>
/// </remarks>
internal static class Int8TileKernel<TOps, TAcc, TBytes>
    where TOps : IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    /// <summary>Vectors per full micro-tile with the sign trick.</summary>
    public const int TileVectors = 4;

    /// <summary>Vectors per full micro-tile for these ops: six where the dot product needs no sign-trick temporaries
    /// (VNNI: twelve accumulators, two weights and one broadcast fit sixteen registers), else <see cref="TileVectors"/>.</summary>
    public static int TileVectorsFor => TOps.ActivationOffset != 0 ? 6 : TileVectors;

    /// <summary>Quads per K block: 128 · 128 bytes = 16 KiB.</summary>
    public const int BlockQuads = 128;

    private const int P = PackedMatrix.PanelRows;

    /// <param name="panel">The segment's first quad in the panel (<see cref="Int8Panels"/> layout).</param>
    /// <param name="rowSums">The panel's 32 row sums of the segment (<see cref="Int8Segment.RowSums"/>).</param>
    /// <param name="x">The first vector's activation operands for the segment (<see cref="Int8Operands"/>).</param>
    /// <param name="xStride">Quads from one vector's activations to the next's.</param>
    /// <param name="quads">Quads in the segment.</param>
    /// <param name="count">Vectors.</param>
    /// <param name="acc">count · 32 int32 sums, written (not accumulated).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(ref sbyte panel, ref int rowSums, Int8Operands x, int xStride, int quads, int count, ref int acc)
    {
        if (TOps.Width == 1)
        {
            // The scalar twin: vector after vector through the one-vector kernel.
            for (int n = 0; n < count; n++)
                Int8PanelKernel<TOps, TAcc, TBytes>.Dot(ref panel, ref rowSums, x.From(n * xStride), quads, ref Unsafe.Add(ref acc, n * P));
            return;
        }

        MemoryMarshal.CreateSpan(ref acc, count * P).Clear();
        int stripRows = 2 * TOps.Width;
        for (int q0 = 0; q0 < quads; q0 += BlockQuads)
        {
            int qLength = Math.Min(BlockQuads, quads - q0);
            // Tiles outside strips: a tile's block of activations stays in L1 with the weights while every strip passes.
            int tileVectors = TileVectorsFor;
            for (int m0 = 0; m0 < count; m0 += tileVectors)
            {
                int vectors = Math.Min(tileVectors, count - m0);
                Int8Operands xTile = x.From(m0 * xStride + q0);
                ref int accTile = ref Unsafe.Add(ref acc, m0 * P);
                for (int lane = 0; lane < P; lane += stripRows)
                    Tile(vectors, ref Unsafe.Add(ref panel, (q0 * P + lane) * 4), xTile, xStride, qLength, ref Unsafe.Add(ref accTile, lane));
            }
        }
        for (int n = 0; n < count; n++)
            Int8PanelKernel<TOps, TAcc, TBytes>.RemoveOffset(ref rowSums, ref Unsafe.Add(ref acc, n * P));
    }

    /// <summary>The micro-tile compiled for <paramref name="vectors"/> (1 to <see cref="TileVectorsFor"/>) vectors.</summary>
    private static void Tile(int vectors, ref sbyte strip, Int8Operands x, int xStride, int quads, ref int acc)
    {
        switch (vectors)
        {
            case 6: Tile<SixVectors>(ref strip, x, xStride, quads, ref acc); break;
            case 5: Tile<FiveVectors>(ref strip, x, xStride, quads, ref acc); break;
            case 4: Tile<FourVectors>(ref strip, x, xStride, quads, ref acc); break;
            case 3: Tile<ThreeVectors>(ref strip, x, xStride, quads, ref acc); break;
            case 2: Tile<TwoVectors>(ref strip, x, xStride, quads, ref acc); break;
            default: Tile<OneVector>(ref strip, x, xStride, quads, ref acc); break;
        }
    }

    /// <summary>
    /// acc_i[0..2·Width) += strip · x_i over <paramref name="quads"/> quads for the <typeparamref name="TN"/> vectors i
    /// (x_i at <paramref name="x"/> + i · xStride, acc_i at <paramref name="acc"/> + i · 32). The conditions on
    /// TN.Count are JIT-time constants.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TN>(ref sbyte strip, Int8Operands x, int xStride, int quads, ref int acc)
        where TN : ITileVectors
    {
        int n = TN.Count, w = TOps.Width, step = 4 * w;
        Int8Operands x0 = x;
        Int8Operands x1 = x.From(n > 1 ? xStride : 0);
        Int8Operands x2 = x.From(n > 2 ? 2 * xStride : 0);
        Int8Operands x3 = x.From(n > 3 ? 3 * xStride : 0);
        Int8Operands x4 = x.From(n > 4 ? 4 * xStride : 0);
        Int8Operands x5 = x.From(n > 5 ? 5 * xStride : 0);

        TAcc c00 = TOps.Load(ref acc), c01 = TOps.Load(ref Unsafe.Add(ref acc, w));
        TAcc c10 = n > 1 ? TOps.Load(ref Unsafe.Add(ref acc, P)) : TOps.Zero, c11 = n > 1 ? TOps.Load(ref Unsafe.Add(ref acc, P + w)) : TOps.Zero;
        TAcc c20 = n > 2 ? TOps.Load(ref Unsafe.Add(ref acc, 2 * P)) : TOps.Zero, c21 = n > 2 ? TOps.Load(ref Unsafe.Add(ref acc, 2 * P + w)) : TOps.Zero;
        TAcc c30 = n > 3 ? TOps.Load(ref Unsafe.Add(ref acc, 3 * P)) : TOps.Zero, c31 = n > 3 ? TOps.Load(ref Unsafe.Add(ref acc, 3 * P + w)) : TOps.Zero;
        TAcc c40 = n > 4 ? TOps.Load(ref Unsafe.Add(ref acc, 4 * P)) : TOps.Zero, c41 = n > 4 ? TOps.Load(ref Unsafe.Add(ref acc, 4 * P + w)) : TOps.Zero;
        TAcc c50 = n > 5 ? TOps.Load(ref Unsafe.Add(ref acc, 5 * P)) : TOps.Zero, c51 = n > 5 ? TOps.Load(ref Unsafe.Add(ref acc, 5 * P + w)) : TOps.Zero;

        ref sbyte wq = ref strip;
        for (int q = 0; q < quads; q++)
        {
            TBytes w0 = TOps.LoadWeights(ref wq), w1 = TOps.LoadWeights(ref Unsafe.Add(ref wq, step));
            TBytes magnitude = TOps.BroadcastQuad(x0.Operand(q)), signs = TOps.BroadcastQuad(x0.Signs(q));
            c00 = TOps.DotQuads(c00, magnitude, signs, w0);
            c01 = TOps.DotQuads(c01, magnitude, signs, w1);
            if (n > 1)
            {
                magnitude = TOps.BroadcastQuad(x1.Operand(q));
                signs = TOps.BroadcastQuad(x1.Signs(q));
                c10 = TOps.DotQuads(c10, magnitude, signs, w0);
                c11 = TOps.DotQuads(c11, magnitude, signs, w1);
            }
            if (n > 2)
            {
                magnitude = TOps.BroadcastQuad(x2.Operand(q));
                signs = TOps.BroadcastQuad(x2.Signs(q));
                c20 = TOps.DotQuads(c20, magnitude, signs, w0);
                c21 = TOps.DotQuads(c21, magnitude, signs, w1);
            }
            if (n > 3)
            {
                magnitude = TOps.BroadcastQuad(x3.Operand(q));
                signs = TOps.BroadcastQuad(x3.Signs(q));
                c30 = TOps.DotQuads(c30, magnitude, signs, w0);
                c31 = TOps.DotQuads(c31, magnitude, signs, w1);
            }
            if (n > 4)
            {
                magnitude = TOps.BroadcastQuad(x4.Operand(q));
                signs = TOps.BroadcastQuad(x4.Signs(q));
                c40 = TOps.DotQuads(c40, magnitude, signs, w0);
                c41 = TOps.DotQuads(c41, magnitude, signs, w1);
            }
            if (n > 5)
            {
                magnitude = TOps.BroadcastQuad(x5.Operand(q));
                signs = TOps.BroadcastQuad(x5.Signs(q));
                c50 = TOps.DotQuads(c50, magnitude, signs, w0);
                c51 = TOps.DotQuads(c51, magnitude, signs, w1);
            }
            wq = ref Unsafe.Add(ref wq, P * 4);
        }

        TOps.Store(c00, ref acc);
        TOps.Store(c01, ref Unsafe.Add(ref acc, w));
        if (n > 1)
        {
            TOps.Store(c10, ref Unsafe.Add(ref acc, P));
            TOps.Store(c11, ref Unsafe.Add(ref acc, P + w));
        }
        if (n > 2)
        {
            TOps.Store(c20, ref Unsafe.Add(ref acc, 2 * P));
            TOps.Store(c21, ref Unsafe.Add(ref acc, 2 * P + w));
        }
        if (n > 3)
        {
            TOps.Store(c30, ref Unsafe.Add(ref acc, 3 * P));
            TOps.Store(c31, ref Unsafe.Add(ref acc, 3 * P + w));
        }
        if (n > 4)
        {
            TOps.Store(c40, ref Unsafe.Add(ref acc, 4 * P));
            TOps.Store(c41, ref Unsafe.Add(ref acc, 4 * P + w));
        }
        if (n > 5)
        {
            TOps.Store(c50, ref Unsafe.Add(ref acc, 5 * P));
            TOps.Store(c51, ref Unsafe.Add(ref acc, 5 * P + w));
        }
    }
}
