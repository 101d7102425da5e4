using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>
/// Y = X·Wᵀ (+ bias, + Y) for several rows of X against a <see cref="PackedMatrix"/>: a register-tiled,
/// cache-blocked matrix product written once for every vector width.
/// </summary>
/// <remarks>
/// <para><b>Micro-tile.</b> A tile is <see cref="TileRows"/> (6) rows of X by one strip of two vectors of a panel column
/// (32 output rows for 512-bit vectors, 16 for 256-bit, 8 for 128-bit). Per column k it loads the strip's two weight
/// vectors once and broadcasts each of the six x values once, for twelve FMAs into twelve accumulators. Twelve
/// accumulators cover the FMA latency (4 cycles) on two FMA pipes, and 12 + 2 weight + 1 broadcast registers fit the
/// sixteen of AVX2 and 128-bit SSE without spilling; with AVX-512's 32 registers the same tile is already compute
/// bound, since each FMA is a whole 64-byte panel column half. The same shape for every width is what lets the AVX-512
/// path, which CI machines may not have, run exactly the logic the AVX2 and Vector128 paths are tested with.</para>
/// <para><b>Blocking.</b> Panels (32 output rows) are the outer loop, so a worker thread can own a range of them. Inside a
/// panel each strip is cut into K blocks of <see cref="StripBlockBytes"/> (16 KiB): the block stays in L1 while every
/// tile of X passes over it, and X itself is re-read from L2. A second and later K block accumulates into Y. X is
/// blocked by rows around all of that (<see cref="RowBlock"/>): a sequence's input projection has M = T·B rows (256
/// KiB to 16 MiB of X for T = 256, B = 1 to 16, K = 256 to 1024), and a whole X swept once per strip came from L3 or
/// DRAM for every strip; a block of rows that fits in half the L2 is swept by every strip, and the next block then
/// reads the weights again, which costs a row block's FMAs per weight (at least six, and 64 or more for K ≤ 1024 with
/// 512 KiB of L2).</para>
/// <para><b>Edges.</b> The last tile of X may have fewer than six rows: a tile of one to six rows is its own
/// instantiation (see <see cref="Tile{TRows}"/>), so it does only its rows' work and stores straight into Y. A strip past
/// the matrix's last row is computed into a stack buffer and only its real lanes are copied to Y; output rows past
/// W.Rows exist in the zero-padded last panel and are never stored.</para>
/// </remarks>
internal static class GemmKernel<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>Rows of X per micro-tile.</summary>
    public const int TileRows = 6;

    /// <summary>Bytes of one strip's K block kept in L1 while the tiles of X pass over it.</summary>
    public const int StripBlockBytes = 16 << 10;

    private static int StripWidth => 2 * TOps.Width;

    /// <summary>Bytes ahead of the strip column being read that the first tile of a K block asks for, with
    /// <c>prefetch</c>: 8 KiB, 64 panel columns.</summary>
    public const int PrefetchBytes = 8 << 10;

    // prefetch: the first tile of each K block, the one that reads the strip from memory, asks for each column's lines
    // PrefetchBytes ahead as it goes, for weights that come from DRAM at every product (KernelSelector.TiledProductPrefetches,
    // or the caller's word). For weights in cache it only costs.
    // Why in the first tile's loop: the tiles after the first used to fetch the next K block in bursts before their
    // own loops (a share each), which left the first tile waiting on memory and the bursts on the miss buffers. On a
    // Zen 1 guest, one strip's lines asked for as the loop goes took M = 16 against 8 and 32 MiB of weights from 71 %
    // to 84-88 % of the FMA peak, M = 6 from 43 to 72 %, M = 64 from 83 to 87 %; asking for the panel column's other
    // strip's line too was worse (72-78 %), and 2 KiB ahead did less than 8 (77-84 %).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        PackedMatrix w, ref float x, int xStride, ref float y, int yStride, int m, ref float bias, bool hasBias, bool accumulate,
        int firstPanel, int panels, bool prefetch)
    {
        // An edge tile (fewer than six rows of X, or a strip past the matrix's last row) is computed into this and
        // copied out, so that the tile itself stores all twelve accumulators unconditionally: conditional stores
        // make the JIT keep accumulators in memory inside the loop.
        Span<float> edge = stackalloc float[TileRows * 2 * 16];
        ref float scratch = ref edge[0];
        int rowBlock = RowBlock(m, w.Cols, KernelSelector.GemmRowBlockBytes);
        for (int firstRow = 0; firstRow < m; firstRow += rowBlock)
        {
            int rows = Math.Min(rowBlock, m - firstRow);
            MultiplyRows(
                w, ref Unsafe.Add(ref x, (nint)firstRow * xStride), xStride, ref Unsafe.Add(ref y, (nint)firstRow * yStride), yStride, rows,
                ref bias, hasBias, accumulate, firstPanel, panels, prefetch, ref scratch);
        }
    }

    /// <summary>
    /// Rows of X per block: all of them when M·K floats fit in <paramref name="blockBytes"/>, else the fewest equal
    /// blocks that do, rounded up to whole tiles (at least one tile).
    /// </summary>
    internal static int RowBlock(int m, int k, long blockBytes)
    {
        long rowBytes = (long)k * sizeof(float);
        long fit = Math.Max(1, blockBytes / rowBytes);
        if (m <= fit)
            return m;
        int blocks = (int)((m + fit - 1) / fit);
        int rows = (m + blocks - 1) / blocks;
        return Math.Max(TileRows, (rows + TileRows - 1) / TileRows * TileRows);
    }

    // Every panel of the range against M rows of X that fit in L2 together.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyRows(
        PackedMatrix w, ref float x, int xStride, ref float y, int yStride, int m, ref float bias, bool hasBias, bool accumulate,
        int firstPanel, int panels, bool prefetch, ref float scratch)
    {
        int stripWidth = StripWidth;
        int k = w.Cols;
        // Columns per K block: a strip column is stripWidth floats, read with a stride of a whole panel column.
        int kBlock = Math.Max(16, StripBlockBytes / (PackedMatrix.PanelRows * sizeof(float)));
        for (int p = firstPanel; p < firstPanel + panels; p++)
        {
            ref float panel = ref w.PanelRef(p);
            int rowStart = p * PackedMatrix.PanelRows;
            int rowsHere = Math.Min(PackedMatrix.PanelRows, w.Rows - rowStart);
            for (int lane = 0; lane < rowsHere; lane += stripWidth)
            {
                int lanes = Math.Min(stripWidth, rowsHere - lane);
                ref float yStrip = ref Unsafe.Add(ref y, rowStart + lane);
                ref float biasStrip = ref Unsafe.Add(ref bias, hasBias ? rowStart + lane : 0);
                for (int k0 = 0; k0 < k; k0 += kBlock)
                {
                    int kLength = Math.Min(kBlock, k - k0);
                    bool withBias = k0 == 0 && hasBias, into = k0 > 0 || accumulate;
                    ref float strip = ref Unsafe.Add(ref panel, k0 * PackedMatrix.PanelRows + lane);
                    for (int m0 = 0; m0 < m; m0 += TileRows)
                    {
                        int rows = Math.Min(TileRows, m - m0);
                        bool ahead = prefetch && m0 == 0;
                        ref float xTile = ref Unsafe.Add(ref x, (nint)m0 * xStride + k0);
                        ref float yTile = ref Unsafe.Add(ref yStrip, (nint)m0 * yStride);
                        if (lanes == stripWidth)
                        {
                            // Whole strips store straight into Y, however few rows of X are left.
                            TileOfRows(rows, ref strip, ref xTile, xStride, kLength, ref yTile, yStride, ref biasStrip, withBias, into, ahead);
                            continue;
                        }
                        TileOfRows(rows, ref strip, ref xTile, xStride, kLength, ref scratch, stripWidth, ref scratch, hasBias: false, accumulate: false, ahead);
                        for (int r = 0; r < rows; r++)
                            WriteTail(ref Unsafe.Add(ref scratch, r * stripWidth), ref Unsafe.Add(ref yTile, (nint)r * yStride), lanes, ref biasStrip, withBias, into);
                    }
                }
            }
        }
    }

    // The tile instantiation for the rows of X left (1..6).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileOfRows(
        int rows, ref float strip, ref float x, int xStride, int k, ref float d, int dStride, ref float bias, bool hasBias, bool accumulate,
        bool prefetch)
    {
        switch (rows)
        {
            case 6: Tile<SixVectors>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
            case 5: Tile<FiveVectors>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
            case 4: Tile<FourVectors>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
            case 3: Tile<ThreeVectors>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
            case 2: Tile<TwoVectors>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
            default: Tile<OneVector>(ref strip, ref x, xStride, k, ref d, dStride, ref bias, hasBias, accumulate, prefetch); break;
        }
    }

    /// <summary>
    /// One micro-tile: d_r[0..2·Width) (+)= (bias) + strip · x_r for the <typeparamref name="TRows"/> rows r of d (stride
    /// <paramref name="dStride"/>), over <paramref name="k"/> columns of the strip (each column two vectors, a panel
    /// column apart).
    /// </summary>
    /// <remarks>
    /// The row count is a type, so that each instantiation is compiled with only its own accumulators, FMAs and stores:
    /// the JIT removes the code of the rows a tile does not have, where a runtime count would keep every accumulator
    /// and guard every store. A row's sums are the same whatever the tile's row count (the same FMAs in the same order),
    /// so a row of X gets the same bits in any tile.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(
        ref float strip, ref float x, int xStride, int k, ref float d, int dStride, ref float bias, bool hasBias, bool accumulate,
        bool prefetch)
        where TRows : struct, ITileVectors
    {
        int w = TOps.Width, rows = TRows.Count;
        ref float x0 = ref x;
        ref float x1 = ref rows > 1 ? ref Unsafe.Add(ref x, xStride) : ref x0;
        ref float x2 = ref rows > 2 ? ref Unsafe.Add(ref x, 2 * xStride) : ref x0;
        ref float x3 = ref rows > 3 ? ref Unsafe.Add(ref x, 3 * xStride) : ref x0;
        ref float x4 = ref rows > 4 ? ref Unsafe.Add(ref x, 4 * xStride) : ref x0;
        ref float x5 = ref rows > 5 ? ref Unsafe.Add(ref x, 5 * xStride) : ref x0;

        TVector c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        ref float wj = ref strip;
        for (int j = 0; j < k; j++)
        {
            if (prefetch)
                PrefetchAhead(ref wj);
            TVector w0 = TOps.Load(ref wj, 0);
            TVector w1 = TOps.Load(ref wj, (nuint)w);
            TVector b = TOps.Broadcast(Unsafe.Add(ref x0, j));
            c00 = TOps.MultiplyAdd(w0, b, c00);
            c01 = TOps.MultiplyAdd(w1, b, c01);
            if (TRows.Count > 1)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x1, j));
                c10 = TOps.MultiplyAdd(w0, b, c10);
                c11 = TOps.MultiplyAdd(w1, b, c11);
            }
            if (TRows.Count > 2)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x2, j));
                c20 = TOps.MultiplyAdd(w0, b, c20);
                c21 = TOps.MultiplyAdd(w1, b, c21);
            }
            if (TRows.Count > 3)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x3, j));
                c30 = TOps.MultiplyAdd(w0, b, c30);
                c31 = TOps.MultiplyAdd(w1, b, c31);
            }
            if (TRows.Count > 4)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x4, j));
                c40 = TOps.MultiplyAdd(w0, b, c40);
                c41 = TOps.MultiplyAdd(w1, b, c41);
            }
            if (TRows.Count > 5)
            {
                b = TOps.Broadcast(Unsafe.Add(ref x5, j));
                c50 = TOps.MultiplyAdd(w0, b, c50);
                c51 = TOps.MultiplyAdd(w1, b, c51);
            }
            wj = ref Unsafe.Add(ref wj, PackedMatrix.PanelRows);
        }

        if (hasBias)
        {
            TVector b0 = TOps.Load(ref bias, 0), b1 = TOps.Load(ref bias, (nuint)w);
            c00 = TOps.Add(b0, c00); c01 = TOps.Add(b1, c01); c10 = TOps.Add(b0, c10); c11 = TOps.Add(b1, c11);
            c20 = TOps.Add(b0, c20); c21 = TOps.Add(b1, c21); c30 = TOps.Add(b0, c30); c31 = TOps.Add(b1, c31);
            c40 = TOps.Add(b0, c40); c41 = TOps.Add(b1, c41); c50 = TOps.Add(b0, c50); c51 = TOps.Add(b1, c51);
        }
        StoreRow(c00, c01, ref d, accumulate);
        if (TRows.Count > 1)
            StoreRow(c10, c11, ref Unsafe.Add(ref d, dStride), accumulate);
        if (TRows.Count > 2)
            StoreRow(c20, c21, ref Unsafe.Add(ref d, 2 * dStride), accumulate);
        if (TRows.Count > 3)
            StoreRow(c30, c31, ref Unsafe.Add(ref d, 3 * dStride), accumulate);
        if (TRows.Count > 4)
            StoreRow(c40, c41, ref Unsafe.Add(ref d, 4 * dStride), accumulate);
        if (TRows.Count > 5)
            StoreRow(c50, c51, ref Unsafe.Add(ref d, 5 * dStride), accumulate);
    }

    // The strip column's lines PrefetchBytes ahead into L2 (one for 256-bit strips, two for 512-bit; a 128-bit strip asks
    // for its line on every column, a hint for a line already asked for costs only the instruction). The address is
    // formed as a pointer: past the matrix's end it faults nothing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchAhead(ref float column)
    {
        if (!Sse.IsSupported)
            return;
        byte* ahead = (byte*)Unsafe.AsPointer(ref column) + PrefetchBytes;
        for (int line = 0; line < StripWidth * sizeof(float); line += 64)
            Sse.Prefetch1(ahead + line);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(TVector v0, TVector v1, ref float d, bool accumulate)
    {
        int w = TOps.Width;
        if (accumulate)
        {
            v0 = TOps.Add(TOps.Load(ref d, 0), v0);
            v1 = TOps.Add(TOps.Load(ref d, (nuint)w), v1);
        }
        TOps.Store(v0, ref d, 0);
        TOps.Store(v1, ref d, (nuint)w);
    }

    /// <summary>
    /// y[0..count) = (accumulate ? y : 0) + (hasBias ? bias : 0) + t, in the vector paths' order (bias + t, then y + that):
    /// whole vectors of <typeparamref name="TOps"/>'s width first, then one float at a time — the copy out of a partial
    /// strip (a convolution's 48 channels are a panel and a half) ran a scalar loop over every row of X.
    /// </summary>
    public static void WriteTail(ref float t, ref float y, int count, ref float bias, bool hasBias, bool accumulate)
    {
        int w = TOps.Width, r = 0;
        for (; w > 1 && r + w <= count; r += w)
        {
            TVector v = TOps.Load(ref t, (nuint)r);
            if (hasBias)
                v = TOps.Add(TOps.Load(ref bias, (nuint)r), v);
            if (accumulate)
                v = TOps.Add(TOps.Load(ref y, (nuint)r), v);
            TOps.Store(v, ref y, (nuint)r);
        }
        for (; r < count; r++)
        {
            float v = Unsafe.Add(ref t, r);
            if (hasBias)
                v = Unsafe.Add(ref bias, r) + v;
            if (accumulate)
                v = Unsafe.Add(ref y, r) + v;
            Unsafe.Add(ref y, r) = v;
        }
    }
}
