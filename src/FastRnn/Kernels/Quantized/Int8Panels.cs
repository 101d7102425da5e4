using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FastRnn.Format;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// The int8 weights of a <see cref="PackedMatrix"/>. Inside a 32-row panel the columns go in quads of four, and a quad
/// stores, row after row, that row's four bytes: <c>panel[(q * 32 + r) * 4 + j] = W[p * 32 + r, 4q + j]</c>.
/// </summary>
/// <remarks>
/// <para>Why quads: the integer dot-product instructions (vpmaddubsw + vpmaddwd, or VNNI's vpdpbusd) sum four adjacent
/// byte products into one 32-bit lane. With the row's four bytes adjacent, one 32-byte load is 8 rows × 4 columns,
/// multiplied by the four activations of that quad broadcast to every lane — the fp32 layout's vertical, gather-free
/// stream, four columns at a time. A quad is 128 bytes: two cache lines per panel and quad.</para>
/// <para>Segments one after the other: each segment (W_ih, W_hh of a step's [W_ih | W_hh]) stores all its panels
/// contiguously, so a sequence's recurrence, which reads only W_hh, reads one contiguous stream. With the segments side
/// by side in every panel it read every other 16–32 KiB run; one core read 4 MiB that way 12–15 % slower than
/// contiguously (Zen 5). A one-vector step reads all of W_ih's panels, then all of W_hh's, one stream at a time.</para>
/// </remarks>
internal sealed class Int8Panels
{
    /// <summary>Columns past this could overflow the int32 accumulator (127 · 127 per column).</summary>
    public const int MaxCols = int.MaxValue / (WeightQuantizer.Int8Limit * WeightQuantizer.Int8Limit);

    private readonly AlignedBuffer _data; // viewed as bytes

    private Int8Panels(AlignedBuffer data, Int8Segment[] segments) => (_data, Segments) = (data, segments);

    /// <summary>The segments, in column order, covering the matrix's columns exactly.</summary>
    public Int8Segment[] Segments { get; }

    /// <summary>The first byte of segment <paramref name="segment"/>'s part of panel <paramref name="panel"/>; a segment's
    /// panels follow each other every <see cref="Int8Segment.PanelStride"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref sbyte PanelRef(Int8Segment segment, int panel)
        => ref Unsafe.Add(ref Unsafe.As<float, sbyte>(ref _data.Reference), segment.ByteOffset + (nint)panel * segment.PanelStride);

    /// <summary>Columns [start, start + count) as their own matrix: they must be whole segments.</summary>
    public Int8Panels Columns(int start, int count) => new(_data, ColumnSegments.Within(Segments, start, count, "int8"));

    /// <summary>
    /// Packs row-major int8 blocks one after the other — <paramref name="a"/> of <paramref name="cols"/>[0] columns and, when
    /// <paramref name="cols"/> has two, <paramref name="b"/> of cols[1] — each with its own per-row scales: each becomes
    /// one segment, padded to whole quads.
    /// </summary>
    /// <remarks>A quad of a row is four bytes, and the layout stores panel p's quad q of lane r at int
    /// <c>q · 32 + r</c> of the panel: the float32 panel layout with quads for elements, so the float packer's 8 × 8
    /// register transposes pack it (they move bits, never interpret them). Byte by byte it took 18 ms to load an int8
    /// LSTM 1024, four times the float32 model's time for a quarter of its bytes.</remarks>
    public static Int8Panels Pack(int rows, ReadOnlySpan<int> cols, ReadOnlySpan<sbyte> a, ReadOnlySpan<float> scalesA,
        ReadOnlySpan<sbyte> b = default, ReadOnlySpan<float> scalesB = default, SourceChecksum? checksumA = null, SourceChecksum? checksumB = null,
        int threads = 1)
    {
        const int P = PackedMatrix.PanelRows;
        int panels = (rows + P - 1) / P;
        var segments = new Int8Segment[cols.Length];
        int column = 0, quads = 0;
        for (int s = 0; s < cols.Length; s++)
        {
            var padded = new float[panels * P];
            (s == 0 ? scalesA : scalesB)[..rows].CopyTo(padded);
            segments[s] = new Int8Segment(column, cols[s], checked(panels * quads * P * 4), padded, new int[panels * P]);
            column += cols[s];
            quads += segments[s].Quads;
        }
        if (column > MaxCols)
            throw new ArgumentOutOfRangeException(nameof(cols), $"an int8 matrix of {column} columns could overflow its int32 sums (at most {MaxCols})");
        var buffer = new AlignedBuffer(checked(panels * quads * P));
        for (int s = 0; s < cols.Length; s++)
        {
            ReadOnlySpan<sbyte> block = s == 0 ? a : b;
            SourceChecksum? checksum = s == 0 ? checksumA : checksumB;
            Int8Segment segment = segments[s];
            int n = cols[s];
            bool wholeQuads = n % 4 == 0;
            // As floats: the segment's own panels, `segment.Quads` columns each, one per quad.
            Span<float> dst = buffer.Span.Slice(segment.ByteOffset / sizeof(int), panels * segment.Quads * P);
            PackedMatrix.ClearPadding(dst, rows, segment.Quads);
            // Panel by panel, its 32 rows one contiguous run: checksummed and summed, then (in cache) transposed.
            uint crc;
            unsafe
            {
                fixed (sbyte* from = block)
                fixed (float* to = dst)
                {
                    var packer = new Int8BandPacker(from, rows, n, to, segment.Quads, segment.RowSums, wholeQuads, checksum is not null);
                    crc = ParallelPacking.Run(packer, panels, (long)rows * n, threads, checksum is not null);
                }
            }
            if (!wholeQuads)
            {
                // Rows whose length is not whole quads: each padded with zeros to whole quads, then packed.
                var whole = new sbyte[checked(rows * segment.Quads * 4)];
                for (int r = 0; r < rows; r++)
                    block.Slice(r * n, n).CopyTo(whole.AsSpan(r * segment.Quads * 4));
                PackedMatrix.PackColumns(MemoryMarshal.Cast<sbyte, float>(whole), rows, segment.Quads, dst, segment.Quads, 0, nonTemporal: false, checksum: null);
            }
            checksum?.Complete(crc);
        }
        return new Int8Panels(buffer, segments);
    }

    /// <summary>One panel of an int8 segment for <see cref="Pack"/>: its 32 rows (one contiguous run of
    /// <paramref name="cols"/> bytes each) checksummed, each row's sum recorded, then (with whole quads) transposed as
    /// 32-bit quads into the segment's panel.</summary>
    private readonly unsafe struct Int8BandPacker(sbyte* block, int rows, int cols, float* segment, int quads, int[] rowSums, bool wholeQuads, bool checksum)
        : IPanelPacker
    {
        public long SourceBytes(int panel) => (long)PackedMatrix.RowsInPanel(rows, panel) * cols;

        public uint Pack(int p, uint crc)
        {
            const int P = PackedMatrix.PanelRows;
            int rowsHere = PackedMatrix.RowsInPanel(rows, p);
            var band = new ReadOnlySpan<sbyte>(block + (nint)p * P * cols, rowsHere * cols);
            if (checksum)
                crc = Crc32C.Append(crc, MemoryMarshal.AsBytes(band));
            for (int r = 0; r < rowsHere; r++)
                rowSums[p * P + r] = RowSum(band.Slice(r * cols, cols));
            if (wholeQuads)
                PackedMatrix.PackColumns(MemoryMarshal.Cast<sbyte, float>(band), rowsHere, quads, new Span<float>(segment + (nint)p * quads * P, quads * P), quads, 0,
                    nonTemporal: false, checksum: null);
            return crc;
        }

        public void Finish()
        {
        }
    }

    /// <summary>The sum of a row's bytes, sixteen at a time widened to 16 bits: 127 rounds add at most 127 · 2 · 128 =
    /// 32,512 to a lane, within a short, before the lanes are widened again.</summary>
    private static int RowSum(ReadOnlySpan<sbyte> row)
    {
        int i = 0, sum = 0;
        if (Vector128.IsHardwareAccelerated && row.Length >= Vector128<sbyte>.Count)
        {
            Vector128<int> total = Vector128<int>.Zero;
            while (i <= row.Length - Vector128<sbyte>.Count)
            {
                Vector128<short> partial = Vector128<short>.Zero;
                for (int n = 0; n < 127 && i <= row.Length - Vector128<sbyte>.Count; n++, i += Vector128<sbyte>.Count)
                {
                    (Vector128<short> low, Vector128<short> high) = Vector128.Widen(Vector128.Create(row.Slice(i, Vector128<sbyte>.Count)));
                    partial += low + high;
                }
                (Vector128<int> l, Vector128<int> h) = Vector128.Widen(partial);
                total += l + h;
            }
            sum = Vector128.Sum(total);
        }
        for (; i < row.Length; i++)
            sum += row[i];
        return sum;
    }

    /// <summary>The byte of W[panel * 32 + lane, col] and its row's scale (for tests and diagnostics).</summary>
    public (sbyte Value, float Scale) this[int panel, int col, int lane]
    {
        get
        {
            Int8Segment s = Segments.Last(s => s.Column <= col);
            int k = col - s.Column;
            sbyte value = Unsafe.Add(ref PanelRef(s, panel), ((k / 4) * PackedMatrix.PanelRows + lane) * 4 + k % 4);
            return (value, s.Scales[panel * PackedMatrix.PanelRows + lane]);
        }
    }
}
