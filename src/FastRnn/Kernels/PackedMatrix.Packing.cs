using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastRnn.Format;

namespace FastRnn.Kernels;

// Packing row-major weights into panels (the layout PackedMatrix describes): a column block at a time, full panels by
// register transposes, each panel's source rows checksummed on the way when the loader defers the file's checksum,
// and the panels of a large matrix shared among threads when the loader was given more than one (ParallelPacking).
internal sealed partial class PackedMatrix
{
    /// <summary>Columns to pack per pass: 16 columns of a panel are 2 KiB, so every row's 64-byte run lands in L1.</summary>
    private const int PackBlock = 16;

    /// <summary>Rows of a (rows, ·) matrix in panel <paramref name="panel"/>: 32, or fewer in a partial last panel.</summary>
    internal static int RowsInPanel(int rows, int panel) => Math.Min(PanelRows, rows - panel * PanelRows);

    /// <summary>
    /// Writes row-major <paramref name="source"/> (rows, cols) into the panels of <paramref name="packed"/> (rows,
    /// <paramref name="packedCols"/>) from column <paramref name="colOffset"/> on. A column block at a time, so the
    /// panel columns being filled stay in L1 while the 32 rows pass (row by row, each row would touch a new cache line
    /// per element: packing a 32 MiB model took 8 ms that way, against 2 for reading its checksum). Full panels take
    /// register transposes where AVX is on (<see cref="TransposePanel"/>): the element loop kept the 32 MiB at about
    /// 5 ms, the transposes at about 2.2. A loader that defers the file's checksum passes <paramref name="checksum"/>:
    /// each panel's rows (one contiguous run, 128 KiB at 1,024 columns) are checksummed just before they are
    /// transposed, which leaves them in L2 for the transposes, so the file is read from memory once. Without it the
    /// next panel's rows are fetched ahead during the transposes instead (with it, that fetch made a 32 MiB load
    /// slower, 4.1 ms against 3.5 in a harness). Measured on Zen 5 by <c>LoadBenchmarks</c>, a 32 MiB LSTM loads in
    /// 2.65 ms, against 4.12 with a separate checksum pass and normal stores. The bfloat16 and int8 packers use it too
    /// (int8 quads as 32-bit elements); element by element they took a bfloat16 / int8 LSTM 1024 15 / 18 ms to load.
    /// </summary>
    /// <remarks>Elements are 32-bit (<typeparamref name="T"/> float: float32 weights, or int8 quads) or 16-bit (ushort:
    /// bfloat16), each width with its own register transposes; the JIT drops the other width's branch.
    /// <para>With <paramref name="threads"/> above 1, a matrix of <see cref="ParallelPacking.MinParallelBytes"/> or more
    /// has its panels shared among that many threads (<see cref="ParallelPacking"/>); the packed bits and the checksum
    /// are the same.</para></remarks>
    internal static unsafe void PackColumns<T>(ReadOnlySpan<T> source, int rows, int cols, Span<T> packed, int packedCols, int colOffset,
        bool nonTemporal, SourceChecksum? checksum, int threads = 1, bool pairRows = false)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(ushort))
            throw new NotSupportedException($"panels of {typeof(T).Name}"); // unreachable: float and ushort only
        if (source.Length < (long)rows * cols || packed.Length < (long)((rows + PanelRows - 1) / PanelRows) * packedCols * PanelRows || colOffset + cols > packedCols)
            throw new ArgumentException("packing buffers are too short"); // unreachable: sized by the callers
        int panels = (rows + PanelRows - 1) / PanelRows;
        // Pinned for as long as any thread packs: the source may be a managed array (a file loaded from memory); the
        // packed buffer is pinned already (AlignedBuffer), and fixing it again costs nothing.
        fixed (T* from = source)
        fixed (T* to = packed)
        {
            var packer = new ColumnPanels<T>(from, rows, cols, to, packedCols, colOffset, nonTemporal, checksum is not null, pairRows);
            uint crc = ParallelPacking.Run(packer, panels, (long)rows * cols * sizeof(T), threads, checksum is not null);
            checksum?.Complete(crc);
        }
    }

    /// <summary>
    /// One panel of <see cref="PackColumns"/>: its 32 source rows (one contiguous run) into the panel's columns. Full
    /// panels go through 8 × 8 transposes in registers, eight columns at a time; the rest element by element.
    /// </summary>
    private readonly unsafe struct ColumnPanels<T>(T* source, int rows, int cols, T* packed, int packedCols, int colOffset, bool nonTemporal, bool checksum, bool pairRows)
        : IPanelPacker
        where T : unmanaged
    {
        private static bool Wide => typeof(T) == typeof(float);

        // Columns the register transposes take: float32 (and int8 quads) need AVX, 16-bit elements SSE2.
        private readonly int _transposed = (Wide ? Avx.IsSupported : Sse2.IsSupported) ? cols & ~7 : 0;
        private readonly bool _streams = nonTemporal && Wide;
        private readonly int _panels = (rows + PanelRows - 1) / PanelRows;

        public long SourceBytes(int panel) => (long)RowsInPanel(rows, panel) * cols * sizeof(T);

        public uint Pack(int p, uint crc)
        {
            int rowsHere = RowsInPanel(rows, p);
            ref T panel = ref Unsafe.AsRef<T>(packed + ((nint)p * packedCols + colOffset) * PanelRows);
            T* rowsStart = source + (nint)p * PanelRows * cols;
            ref T first = ref Unsafe.AsRef<T>(rowsStart);
            // The panel's rows are one contiguous run of the source: checksummed in file order, they are then in the
            // cache for the transposes.
            if (checksum)
                crc = Crc32C.Append(crc, new ReadOnlySpan<byte>(rowsStart, rowsHere * cols * sizeof(T)));
            int start = 0;
            if (rowsHere == PanelRows && _transposed > 0)
            {
                if (Wide)
                {
                    int nextFloats = p + 1 < _panels && !checksum ? RowsInPanel(rows, p + 1) * cols : 0;
                    TransposePanel(ref Unsafe.As<T, float>(ref first), cols, ref Unsafe.As<T, float>(ref panel), _transposed, _streams, nextFloats);
                }
                else
                {
                    for (int j = 0; j < _transposed; j += 8)
                    {
                        for (int g = 0; g < PanelRows; g += 8)
                            Transpose8x8Bits16(ref Unsafe.As<T, ushort>(ref Unsafe.Add(ref first, (nint)g * cols + j)), cols, ref Unsafe.As<T, ushort>(ref Unsafe.Add(ref panel, (nint)j * PanelRows + g)));
                    }
                }
                start = _transposed;
            }
            for (int j0 = start; j0 < cols; j0 += PackBlock)
            {
                int width = Math.Min(PackBlock, cols - j0);
                for (int r = 0; r < rowsHere; r++)
                {
                    ref T row = ref Unsafe.Add(ref first, (nint)r * cols + j0);
                    ref T lane = ref Unsafe.Add(ref panel, (nint)j0 * PanelRows + r);
                    for (int j = 0; j < width; j++)
                        Unsafe.Add(ref lane, j * PanelRows) = Unsafe.Add(ref row, j);
                }
            }
            if (!Wide && pairRows)
            {
                // While the panel is in the cache: each column's rows r and r + 16 side by side (BFloat16Panels).
                for (int j = 0; j < cols; j++)
                    PairRows(ref Unsafe.As<T, ushort>(ref Unsafe.Add(ref panel, (nint)j * PanelRows)));
            }
            return crc;
        }

        public void Finish()
        {
            // Streaming stores are weakly ordered: fence them before the matrix can be handed to another thread.
            if (_streams && _transposed > 0)
                Sse.StoreFence();
        }
    }

    /// <summary>One panel column of 16-bit elements, rows in order, rearranged in place so that element 2·i is row i and
    /// element 2·i + 1 is row i + 16 (<see cref="BFloat16Panels.Position"/>).</summary>
    private static void PairRows(ref ushort column)
    {
        if (Sse2.IsSupported)
        {
            Vector128<ushort> a = Vector128.LoadUnsafe(ref column), b = Vector128.LoadUnsafe(ref column, 8);
            Vector128<ushort> c = Vector128.LoadUnsafe(ref column, 16), d = Vector128.LoadUnsafe(ref column, 24);
            Sse2.UnpackLow(a, c).StoreUnsafe(ref column);
            Sse2.UnpackHigh(a, c).StoreUnsafe(ref column, 8);
            Sse2.UnpackLow(b, d).StoreUnsafe(ref column, 16);
            Sse2.UnpackHigh(b, d).StoreUnsafe(ref column, 24);
            return;
        }
        Span<ushort> rows = stackalloc ushort[PanelRows];
        MemoryMarshal.CreateReadOnlySpan(ref column, PanelRows).CopyTo(rows);
        for (int r = 0; r < PanelRows; r++)
            Unsafe.Add(ref column, BFloat16Panels.Position(r)) = rows[r];
    }

    /// <summary>
    /// Columns [0, <paramref name="count"/>) (a multiple of 8) of the 32 rows from <paramref name="rows"/> (row stride
    /// <paramref name="stride"/>) into a panel: each 16 × 8 block is read as sixteen row vectors, transposed in
    /// registers as two 8 × 8 halves, and written as eight 64-byte column runs, each one whole cache line written by
    /// two adjacent stores. Streamed (<paramref name="nonTemporal"/>), those lines go to memory without first being
    /// read into the cache, which a normal store must do: for a matrix that does not stay in the cache anyway, that
    /// read is a third of the packing's memory traffic. The 32 rows' 32-byte runs of a block are half cache lines of
    /// the source, whose other halves the next block reads, so the source stays in L1.
    /// </summary>
    private static unsafe void TransposePanel(ref float rows, int stride, ref float panel, int count, bool nonTemporal, int nextFloats)
    {
        // The next panel's rows, one contiguous run after these, are fetched into L2 a share per column block.
        // (A prefetch cannot fault, and the address is taken at the instruction, so a moved source only misses.)
        ref float next = ref Unsafe.Add(ref rows, (nint)PanelRows * stride);
        const int LineFloats = 64 / sizeof(float);
        int share = ((nextFloats + LineFloats - 1) / LineFloats + count / 8 - 1) / (count / 8) * LineFloats, fetched = 0;
        for (int j = 0; j < count; j += 8)
        {
            for (int end = Math.Min(fetched + share, nextFloats); fetched < end; fetched += LineFloats)
                Sse.Prefetch1(Unsafe.AsPointer(ref Unsafe.Add(ref next, fetched)));
            for (int g = 0; g < PanelRows; g += 16)
            {
                ref float block = ref Unsafe.Add(ref rows, (nint)g * stride + j);
                Transpose8x8(ref block, stride, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                Transpose8x8(ref Unsafe.Add(ref block, (nint)8 * stride), stride, out var d0, out var d1, out var d2, out var d3, out var d4, out var d5, out var d6, out var d7);
                ref float column = ref Unsafe.Add(ref panel, (nint)j * PanelRows + g);
                StoreLine(ref column, c0, d0, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 1 * PanelRows), c1, d1, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 2 * PanelRows), c2, d2, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 3 * PanelRows), c3, d3, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 4 * PanelRows), c4, d4, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 5 * PanelRows), c5, d5, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 6 * PanelRows), c6, d6, nonTemporal);
                StoreLine(ref Unsafe.Add(ref column, 7 * PanelRows), c7, d7, nonTemporal);
            }
        }
    }

    /// <summary>Eight rows of eight floats from <paramref name="block"/> (row stride <paramref name="stride"/>) as eight columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float block, int stride, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2,
        out Vector256<float> c3, out Vector256<float> c4, out Vector256<float> c5, out Vector256<float> c6, out Vector256<float> c7)
    {
        nuint s = (nuint)stride;
        Vector256<float> r0 = Vector256.LoadUnsafe(ref block), r1 = Vector256.LoadUnsafe(ref block, s),
            r2 = Vector256.LoadUnsafe(ref block, 2 * s), r3 = Vector256.LoadUnsafe(ref block, 3 * s),
            r4 = Vector256.LoadUnsafe(ref block, 4 * s), r5 = Vector256.LoadUnsafe(ref block, 5 * s),
            r6 = Vector256.LoadUnsafe(ref block, 6 * s), r7 = Vector256.LoadUnsafe(ref block, 7 * s);
        // Pairs of rows interleaved, then fours: t_k holds columns k and k + 4 of rows 0-3 (one per 128-bit half), u_k of rows 4-7.
        Vector256<float> a0 = Avx.UnpackLow(r0, r1), a1 = Avx.UnpackHigh(r0, r1), a2 = Avx.UnpackLow(r2, r3), a3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> b0 = Avx.UnpackLow(r4, r5), b1 = Avx.UnpackHigh(r4, r5), b2 = Avx.UnpackLow(r6, r7), b3 = Avx.UnpackHigh(r6, r7);
        Vector256<float> t0 = Avx.Shuffle(a0, a2, 0x44), t1 = Avx.Shuffle(a0, a2, 0xEE), t2 = Avx.Shuffle(a1, a3, 0x44), t3 = Avx.Shuffle(a1, a3, 0xEE);
        Vector256<float> u0 = Avx.Shuffle(b0, b2, 0x44), u1 = Avx.Shuffle(b0, b2, 0xEE), u2 = Avx.Shuffle(b1, b3, 0x44), u3 = Avx.Shuffle(b1, b3, 0xEE);
        c0 = Avx.Permute2x128(t0, u0, 0x20);
        c1 = Avx.Permute2x128(t1, u1, 0x20);
        c2 = Avx.Permute2x128(t2, u2, 0x20);
        c3 = Avx.Permute2x128(t3, u3, 0x20);
        c4 = Avx.Permute2x128(t0, u0, 0x31);
        c5 = Avx.Permute2x128(t1, u1, 0x31);
        c6 = Avx.Permute2x128(t2, u2, 0x31);
        c7 = Avx.Permute2x128(t3, u3, 0x31);
    }

    /// <summary>The 16 floats <paramref name="low"/>, <paramref name="high"/> at a 64-byte-aligned <paramref name="line"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreLine(ref float line, Vector256<float> low, Vector256<float> high, bool nonTemporal)
    {
        if (nonTemporal)
        {
            float* address = (float*)Unsafe.AsPointer(ref line); // the packed buffer is pinned
            Debug.Assert(((nint)address & 63) == 0, "a streamed line must start on a cache line");
            Avx.StoreAlignedNonTemporal(address, low);
            Avx.StoreAlignedNonTemporal(address + 8, high);
        }
        else
        {
            low.StoreUnsafe(ref line);
            high.StoreUnsafe(ref line, 8);
        }
    }

    // Eight rows of eight 16-bit elements (row stride `stride`) to eight columns of a panel (32 elements apart):
    // interleaved by pairs of rows, then fours, then eights.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8Bits16(ref ushort block, int stride, ref ushort column)
    {
        nuint s = (nuint)stride;
        var r0 = Vector128.LoadUnsafe(ref block).AsInt16();
        var r1 = Vector128.LoadUnsafe(ref block, s).AsInt16();
        var r2 = Vector128.LoadUnsafe(ref block, 2 * s).AsInt16();
        var r3 = Vector128.LoadUnsafe(ref block, 3 * s).AsInt16();
        var r4 = Vector128.LoadUnsafe(ref block, 4 * s).AsInt16();
        var r5 = Vector128.LoadUnsafe(ref block, 5 * s).AsInt16();
        var r6 = Vector128.LoadUnsafe(ref block, 6 * s).AsInt16();
        var r7 = Vector128.LoadUnsafe(ref block, 7 * s).AsInt16();
        // a: columns 0-3 (Low) or 4-7 (High) of two rows, interleaved.
        Vector128<int> a0 = Sse2.UnpackLow(r0, r1).AsInt32(), a1 = Sse2.UnpackHigh(r0, r1).AsInt32();
        Vector128<int> a2 = Sse2.UnpackLow(r2, r3).AsInt32(), a3 = Sse2.UnpackHigh(r2, r3).AsInt32();
        Vector128<int> a4 = Sse2.UnpackLow(r4, r5).AsInt32(), a5 = Sse2.UnpackHigh(r4, r5).AsInt32();
        Vector128<int> a6 = Sse2.UnpackLow(r6, r7).AsInt32(), a7 = Sse2.UnpackHigh(r6, r7).AsInt32();
        // b: two columns of four rows each (rows 0-3 in b0-b3, rows 4-7 in b4-b7).
        Vector128<long> b0 = Sse2.UnpackLow(a0, a2).AsInt64(), b1 = Sse2.UnpackHigh(a0, a2).AsInt64();
        Vector128<long> b2 = Sse2.UnpackLow(a1, a3).AsInt64(), b3 = Sse2.UnpackHigh(a1, a3).AsInt64();
        Vector128<long> b4 = Sse2.UnpackLow(a4, a6).AsInt64(), b5 = Sse2.UnpackHigh(a4, a6).AsInt64();
        Vector128<long> b6 = Sse2.UnpackLow(a5, a7).AsInt64(), b7 = Sse2.UnpackHigh(a5, a7).AsInt64();
        const nuint P = PackedMatrix.PanelRows;
        Sse2.UnpackLow(b0, b4).AsUInt16().StoreUnsafe(ref column);
        Sse2.UnpackHigh(b0, b4).AsUInt16().StoreUnsafe(ref column, P);
        Sse2.UnpackLow(b1, b5).AsUInt16().StoreUnsafe(ref column, 2 * P);
        Sse2.UnpackHigh(b1, b5).AsUInt16().StoreUnsafe(ref column, 3 * P);
        Sse2.UnpackLow(b2, b6).AsUInt16().StoreUnsafe(ref column, 4 * P);
        Sse2.UnpackHigh(b2, b6).AsUInt16().StoreUnsafe(ref column, 5 * P);
        Sse2.UnpackLow(b3, b7).AsUInt16().StoreUnsafe(ref column, 6 * P);
        Sse2.UnpackHigh(b3, b7).AsUInt16().StoreUnsafe(ref column, 7 * P);
    }
}
