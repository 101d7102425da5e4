using System.Runtime.CompilerServices;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// The bfloat16 weights of a <see cref="PackedMatrix"/>, in the fp32 panel layout with 2-byte elements:
/// <c>data[(p * Cols + k) * 32 + r] = W[p * 32 + r, k]</c>, so a panel column is one 64-byte cache line.
/// </summary>
internal sealed class BFloat16Panels
{
    private readonly AlignedBuffer _data; // viewed as ushort: the aligned float buffer gives the 64-byte start
    private readonly int _panelStride;    // elements from one panel to the next
    private readonly int _offset;         // elements from a panel's start to this view's first column

    private BFloat16Panels(AlignedBuffer data, int panelStride, int offset) => (_data, _panelStride, _offset) = (data, panelStride, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ushort PanelRef(int panel)
        => ref Unsafe.Add(ref Unsafe.As<float, ushort>(ref _data.Reference), (nint)panel * _panelStride + _offset);

    public BFloat16Panels Columns(int start) => new(_data, _panelStride, _offset + start * PackedMatrix.PanelRows);

    /// <summary>Packs row-major blocks side by side: <paramref name="a"/> of <paramref name="cols"/>[0] columns and,
    /// when <paramref name="cols"/> has two, <paramref name="b"/> of cols[1], each already bfloat16.</summary>
    /// <remarks>Checksums given (see <see cref="Format.SourceChecksum"/>) are fed each block's bytes as they are packed.</remarks>
    public static BFloat16Panels Pack(int rows, ReadOnlySpan<int> cols, ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b = default,
        Format.SourceChecksum? checksumA = null, Format.SourceChecksum? checksumB = null)
    {
        const int P = PackedMatrix.PanelRows;
        int total = 0;
        foreach (int c in cols)
            total = checked(total + c);
        int panels = (rows + P - 1) / P;
        int elements = checked(panels * total * P);
        var buffer = new AlignedBuffer((elements + 1) / 2);
        Span<ushort> dst = System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(buffer.Span)[..elements];
        PackedMatrix.ClearPadding(dst, rows, total);
        // As PackedMatrix packs floats, with 16-bit transposes for full panels. Element by element, each a new cache line
        // of a 64 KiB panel, a bfloat16 LSTM 1024 took 15 ms to load (2.4 since).
        PackedMatrix.PackColumns(a, rows, cols[0], dst, total, 0, nonTemporal: false, checksumA);
        if (cols.Length > 1)
            PackedMatrix.PackColumns(b, rows, cols[1], dst, total, cols[0], nonTemporal: false, checksumB);
        return new BFloat16Panels(buffer, total * P, 0);
    }

    public ushort this[int panel, int col, int lane] => Unsafe.Add(ref PanelRef(panel), col * PackedMatrix.PanelRows + lane);
}
