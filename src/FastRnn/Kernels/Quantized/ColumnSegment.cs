namespace FastRnn.Kernels;

/// <summary>A block of columns of a packed bfloat16 or int8 matrix, stored on its own (W_ih or W_hh of [W_ih | W_hh]).</summary>
internal interface IColumnSegment<TSelf>
    where TSelf : IColumnSegment<TSelf>
{
    /// <summary>First column, within the matrix (view) that holds the segment.</summary>
    int Column { get; }

    /// <summary>Columns in the segment.</summary>
    int Cols { get; }

    /// <summary>The same segment, its first column at <paramref name="column"/> (in a view that starts elsewhere).</summary>
    TSelf At(int column);
}

internal static class ColumnSegments
{
    /// <summary>
    /// The segments of columns [start, start + count), renumbered from the view's first column: they must be whole
    /// segments, since each is packed (and for int8 quantized) on its own.
    /// </summary>
    public static T[] Within<T>(T[] segments, int start, int count, string element)
        where T : IColumnSegment<T>
    {
        T[] inside = segments.Where(s => s.Column >= start && s.Column + s.Cols <= start + count).Select(s => s.At(s.Column - start)).ToArray();
        if (inside.Sum(s => s.Cols) != count)
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) of a {element} matrix are not whole segments (each block of columns is packed on its own)");
        return inside;
    }
}
