namespace FastRnn.Import;

/// <summary>Reads integer .npy arrays (token ids for a graph model's int64 inputs): <c>'&lt;i8'</c> or <c>'&lt;i4'</c>, C order.</summary>
public static class NpyInt64Array
{
    /// <summary>Reads the array at <paramref name="path"/> as int64.</summary>
    /// <returns>The shape, outermost first, and the elements, row-major.</returns>
    /// <exception cref="ImportException">The file is not an integer .npy array, or is truncated or has trailing bytes.</exception>
    public static (int[] Shape, long[] Data) Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        NpyHeader header = NpyFormat.ReadHeader(stream, path, "array");
        int size = header.Descr switch
        {
            "<i8" => 8,
            "<i4" => 4,
            _ => throw ImportErrors.Malformed(path, "array", $"has dtype '{header.Descr}'; expected int64 ('<i8') or int32 ('<i4')"),
        };
        if (header.FortranOrder)
            throw ImportErrors.Malformed(path, "array", "is in Fortran (column-major) order; only C-order arrays are read");
        int[] shape = TensorData.CheckedShape(path, "array", header.Shape, header.ElementCount);
        // The file's own length bounds the allocation, not the header's claim.
        long remaining = stream.Length - stream.Position, expected = header.ElementCount * size;
        if (remaining != expected)
            throw ImportErrors.Malformed(path, "array", $"has {remaining} bytes of data; shape {TensorData.FormatShape(header.Shape)} of '{header.Descr}' needs {expected}");
        var bytes = new byte[expected];
        stream.ReadExactly(bytes);
        var data = new long[header.ElementCount];
        for (int i = 0; i < data.Length; i++)
            data[i] = size == 8 ? BitConverter.ToInt64(bytes, i * 8) : BitConverter.ToInt32(bytes, i * 4);
        return (shape, data);
    }
}
