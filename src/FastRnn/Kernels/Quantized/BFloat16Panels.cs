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

    /// <summary>Packs row-major blocks side by side (column counts <paramref name="cols"/>), each already bfloat16.</summary>
    public static BFloat16Panels Pack(int rows, ReadOnlySpan<int> cols, params ReadOnlySpan<ushort[]> blocks)
    {
        int total = 0;
        foreach (int c in cols)
            total = checked(total + c);
        int panels = (rows + PackedMatrix.PanelRows - 1) / PackedMatrix.PanelRows;
        int elements = checked(panels * total * PackedMatrix.PanelRows);
        var buffer = new AlignedBuffer((elements + 1) / 2);
        Span<ushort> dst = System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(buffer.Span)[..elements];
        dst.Clear();
        int first = 0;
        for (int b = 0; b < blocks.Length; b++)
        {
            ushort[] block = blocks[b];
            for (int r = 0; r < rows; r++)
            {
                Span<ushort> panel = dst.Slice(r / PackedMatrix.PanelRows * total * PackedMatrix.PanelRows);
                int lane = r % PackedMatrix.PanelRows;
                for (int k = 0; k < cols[b]; k++)
                    panel[(first + k) * PackedMatrix.PanelRows + lane] = block[r * cols[b] + k];
            }
            first += cols[b];
        }
        return new BFloat16Panels(buffer, total * PackedMatrix.PanelRows, 0);
    }

    public ushort this[int panel, int col, int lane] => Unsafe.Add(ref PanelRef(panel), col * PackedMatrix.PanelRows + lane);
}
