using System.Runtime.CompilerServices;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// The int8 weights of a <see cref="PackedMatrix"/>. Inside a 32-row panel the columns go in quads of four, and a quad
/// stores, row after row, that row's four bytes: <c>panel[(q * 32 + r) * 4 + j] = W[p * 32 + r, 4q + j]</c>.
/// </summary>
/// <remarks>
/// Why quads: the integer dot-product instructions (vpmaddubsw + vpmaddwd, or VNNI's vpdpbusd) sum four adjacent
/// byte products into one 32-bit lane. With the row's four bytes adjacent, one 32-byte load is 8 rows × 4 columns,
/// multiplied by the four activations of that quad broadcast to every lane — the fp32 layout's vertical, gather-free
/// stream, four columns at a time. A quad is 128 bytes: two cache lines per panel and quad.
/// </remarks>
internal sealed class Int8Panels
{
    /// <summary>Columns past this could overflow the int32 accumulator (127 · 127 per column).</summary>
    public const int MaxCols = int.MaxValue / (WeightQuantizer.Int8Limit * WeightQuantizer.Int8Limit);

    private readonly AlignedBuffer _data; // viewed as bytes
    private readonly int _panelStride;    // bytes from one panel to the next

    private Int8Panels(AlignedBuffer data, int panelStride, Int8Segment[] segments) => (_data, _panelStride, Segments) = (data, panelStride, segments);

    /// <summary>Bytes from one panel to the next.</summary>
    public int PanelStride => _panelStride;

    /// <summary>The segments, in column order, covering the matrix's columns exactly.</summary>
    public Int8Segment[] Segments { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref sbyte PanelRef(int panel) => ref Unsafe.Add(ref Unsafe.As<float, sbyte>(ref _data.Reference), (nint)panel * _panelStride);

    /// <summary>Columns [start, start + count) as their own matrix: they must be whole segments.</summary>
    public Int8Panels Columns(int start, int count)
    {
        Int8Segment[] inside = Segments.Where(s => s.Column >= start && s.Column + s.Cols <= start + count)
            .Select(s => s with { Column = s.Column - start }).ToArray();
        if (inside.Sum(s => s.Cols) != count)
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) of an int8 matrix are not whole segments (each block of columns quantized on its own)");
        return new Int8Panels(_data, _panelStride, inside);
    }

    /// <summary>
    /// Packs row-major int8 blocks side by side, block b having <paramref name="cols"/>[b] columns and its own
    /// per-row <paramref name="scales"/>[b]: each becomes one segment, padded to whole quads.
    /// </summary>
    public static Int8Panels Pack(int rows, ReadOnlySpan<int> cols, ReadOnlySpan<sbyte[]> blocks, ReadOnlySpan<float[]> scales)
    {
        const int P = PackedMatrix.PanelRows;
        int panels = (rows + P - 1) / P;
        var segments = new Int8Segment[blocks.Length];
        int column = 0, quads = 0;
        for (int b = 0; b < blocks.Length; b++)
        {
            var padded = new float[panels * P];
            scales[b].AsSpan(0, rows).CopyTo(padded);
            var rowSums = new int[panels * P];
            for (int r = 0; r < rows; r++)
            {
                foreach (sbyte v in blocks[b].AsSpan(r * cols[b], cols[b]))
                    rowSums[r] += v;
            }
            segments[b] = new Int8Segment(column, cols[b], quads * P * 4, padded, rowSums);
            column += cols[b];
            quads += segments[b].Quads;
        }
        if (column > MaxCols)
            throw new ArgumentOutOfRangeException(nameof(cols), $"an int8 matrix of {column} columns could overflow its int32 sums (at most {MaxCols})");
        int panelStride = checked(quads * P * 4);
        int bytes = checked(panels * panelStride);
        var buffer = new AlignedBuffer((bytes + 3) / 4);
        Span<sbyte> dst = System.Runtime.InteropServices.MemoryMarshal.Cast<float, sbyte>(buffer.Span)[..bytes];
        dst.Clear();
        for (int b = 0; b < blocks.Length; b++)
        {
            sbyte[] block = blocks[b];
            for (int r = 0; r < rows; r++)
            {
                Span<sbyte> panel = dst.Slice(r / P * panelStride + segments[b].ByteOffset);
                int lane = r % P;
                for (int k = 0; k < cols[b]; k++)
                    panel[((k / 4) * P + lane) * 4 + k % 4] = block[r * cols[b] + k];
            }
        }
        return new Int8Panels(buffer, panelStride, segments);
    }

    /// <summary>The byte of W[panel * 32 + lane, col] and its row's scale (for tests and diagnostics).</summary>
    public (sbyte Value, float Scale) this[int panel, int col, int lane]
    {
        get
        {
            Int8Segment s = Segments.Last(s => s.Column <= col);
            int k = col - s.Column;
            sbyte value = Unsafe.Add(ref PanelRef(panel), s.ByteOffset + ((k / 4) * PackedMatrix.PanelRows + lane) * 4 + k % 4);
            return (value, s.Scales[panel * PackedMatrix.PanelRows + lane]);
        }
    }
}
