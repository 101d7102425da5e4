namespace FastRnn.Kernels;

/// <summary>
/// A run of columns of an int8 <see cref="PackedMatrix"/> quantized with its own per-row scales — for [W_ih | W_hh],
/// W_ih and W_hh are one segment each, as the file stores them — and whose activations are quantized on their own.
/// </summary>
/// <param name="Column">First column, within the matrix (view) that holds the segment.</param>
/// <param name="Cols">Columns in the segment.</param>
/// <param name="ByteOffset">Bytes from the matrix's first byte to the segment's first panel (see <see cref="Int8Panels"/>).</param>
/// <param name="Scales">One scale per row, padded with zeros to whole panels.</param>
/// <param name="RowSums">Σ_k W_q[r, k] over the segment's columns, one per row, padded with zeros to whole panels: what
/// the kernels that offset the activations by 128 subtract, 128 times (see <see cref="IInt8Ops{TAcc, TBytes}"/>).</param>
internal sealed record Int8Segment(int Column, int Cols, int ByteOffset, float[] Scales, int[] RowSums) : IColumnSegment<Int8Segment>
{
    public Int8Segment At(int column) => this with { Column = column };

    /// <summary>Column quads (groups of four columns, the last zero-padded).</summary>
    public int Quads => (Cols + 3) / 4;

    /// <summary>Bytes from one of the segment's panels to the next: 32 rows of four bytes per quad.</summary>
    public int PanelStride => Quads * PackedMatrix.PanelRows * 4;
}
