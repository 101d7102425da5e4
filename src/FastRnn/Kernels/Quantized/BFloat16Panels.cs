using System.Runtime.CompilerServices;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// The bfloat16 weights of a <see cref="PackedMatrix"/>, in the fp32 panel layout with 2-byte elements and each
/// column's rows in pairs, a block of columns (a <see cref="BFloat16Segment"/>: W_ih or W_hh of a cell's [W_ih | W_hh])
/// at a time: <c>data[s.Offset + (p * s.Cols + k) * 32 + Position(r)] = W[p * 32 + r, s.Column + k]</c>, so a panel
/// column is one 64-byte cache line and each segment's panels are one contiguous run.
/// </summary>
/// <remarks>
/// <para>Why rows in pairs (<see cref="Position"/>: row r at 2 · (r mod 16) + r / 16, so each 32-bit lane holds rows r
/// and r + 16): a bfloat16 is the upper half of a binary32, so a lane read as one int widens its first row with a
/// 16-bit shift and its second with a mask (<see cref="ISimdOps{TVector}.LoadBFloat16Pairs"/>). Rows in order needed
/// a zero-extending load (vpmovzxwd, a shuffle) and a shift per vector; on Zen 4 that kept a bfloat16 product over a
/// 4 MiB matrix in L3 at 92 µs, the pairs take 63 µs, which is the speed of reading it. Every row's chain of FMAs is
/// the same as before, so no result changes.</para>
/// <para>
/// Why segments one after the other, not side by side in every panel: a sequence's recurrence reads W_hh alone, which
/// side by side meant every other 32–64 KiB run (one core read 4 MiB that way about 10 % slower than contiguously, Zen
/// 5); a one-vector product reads each segment's panels in one pass, one stream at a time.</para>
/// </remarks>
internal sealed class BFloat16Panels
{
    private readonly AlignedBuffer _data; // viewed as ushort: the aligned float buffer gives the 64-byte start

    private BFloat16Panels(AlignedBuffer data, BFloat16Segment[] segments) => (_data, Segments) = (data, segments);

    /// <summary>The segments, in column order, covering the matrix's columns exactly.</summary>
    public BFloat16Segment[] Segments { get; }

    /// <summary>The first element of segment <paramref name="segment"/>'s part of panel <paramref name="panel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ushort PanelRef(BFloat16Segment segment, int panel)
        => ref Unsafe.Add(ref Unsafe.As<float, ushort>(ref _data.Reference), segment.Offset + (nint)panel * segment.PanelStride);

    /// <summary>Columns [start, start + count) as their own matrix: they must be whole segments.</summary>
    public BFloat16Panels Columns(int start, int count) => new(_data, ColumnSegments.Within(Segments, start, count, "bfloat16"));

    /// <summary>Packs row-major blocks: <paramref name="a"/> of <paramref name="cols"/>[0] columns and, when
    /// <paramref name="cols"/> has two, <paramref name="b"/> of cols[1], each already bfloat16, one segment each.</summary>
    /// <remarks>Checksums given (see <see cref="Format.SourceChecksum"/>) are fed each block's bytes as they are packed.</remarks>
    public static BFloat16Panels Pack(int rows, ReadOnlySpan<int> cols, ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b = default,
        Format.SourceChecksum? checksumA = null, Format.SourceChecksum? checksumB = null, int threads = 1)
    {
        const int P = PackedMatrix.PanelRows;
        int panels = (rows + P - 1) / P;
        var segments = new BFloat16Segment[cols.Length];
        int total = 0;
        for (int s = 0; s < cols.Length; s++)
        {
            segments[s] = new BFloat16Segment(total, cols[s], checked(panels * total * P));
            total = checked(total + cols[s]);
        }
        int elements = checked(panels * total * P);
        var buffer = new AlignedBuffer((elements + 1) / 2);
        Span<ushort> all = System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(buffer.Span)[..elements];
        // As PackedMatrix packs floats, with 16-bit transposes for full panels. Element by element, each a new cache line
        // of a 64 KiB panel, a bfloat16 LSTM 1024 took 15 ms to load (2.4 since).
        for (int s = 0; s < cols.Length; s++)
        {
            Span<ushort> dst = all.Slice(segments[s].Offset, panels * cols[s] * P);
            PackedMatrix.ClearPadding(dst, rows, cols[s]);
            PackedMatrix.PackColumns(s == 0 ? a : b, rows, cols[s], dst, cols[s], 0, nonTemporal: false, s == 0 ? checksumA : checksumB, threads, pairRows: true);
        }
        return new BFloat16Panels(buffer, segments);
    }

    /// <summary>Where row <paramref name="lane"/> (0–31) of a panel column is stored within the column: rows r and r + 16
    /// share the 32-bit lane r mod 16, the first in its low half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Position(int lane) => 2 * (lane % 16) + lane / 16;

    /// <summary>The bfloat16 bits of W[panel * 32 + lane, col] (for tests and diagnostics).</summary>
    public ushort this[int panel, int col, int lane]
    {
        get
        {
            BFloat16Segment s = Segments.Last(s => s.Column <= col);
            return Unsafe.Add(ref PanelRef(s, panel), (col - s.Column) * PackedMatrix.PanelRows + Position(lane));
        }
    }
}

/// <summary>A block of columns of a bfloat16 <see cref="PackedMatrix"/>, packed on its own (see <see cref="BFloat16Panels"/>).</summary>
/// <param name="Column">First column, within the matrix (view) that holds the segment.</param>
/// <param name="Cols">Columns in the segment.</param>
/// <param name="Offset">Elements from the matrix's first element to the segment's first panel.</param>
internal sealed record BFloat16Segment(int Column, int Cols, int Offset) : IColumnSegment<BFloat16Segment>
{
    public BFloat16Segment At(int column) => this with { Column = column };

    /// <summary>Elements from one of the segment's panels to the next.</summary>
    public int PanelStride => Cols * PackedMatrix.PanelRows;
}
