using System.Buffers.Binary;

namespace FastRnn.Import;

/// <summary>
/// Reads a .npy file of integers (<c>'&lt;i4'</c> or <c>'&lt;i8'</c>, little-endian, C order), such as per-stream
/// sequence lengths saved with <c>np.save("lens.npy", np.array([5, 3], dtype=np.int64))</c>.
/// </summary>
public static class NpyIntegerArray
{
    /// <summary>Reads the array as 32-bit integers.</summary>
    /// <returns>The shape (outermost first) and the elements, row-major.</returns>
    /// <exception cref="ImportException">The file is not a .npy array, is truncated or has trailing bytes, holds another
    /// dtype, is big-endian or Fortran-order, or an int64 value does not fit in 32 bits; the message says which.</exception>
    public static (int[] Shape, int[] Data) ReadInt32(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        const string part = "array";
        NpyHeader header = NpyFormat.ReadHeader(stream, path, part);
        int size = header.Descr switch
        {
            "<i4" => 4,
            "<i8" => 8,
            _ => throw ImportErrors.Malformed(path, part, $"has dtype '{header.Descr}'; expected int32 ('<i4') or int64 ('<i8')"),
        };
        if (header.FortranOrder)
            throw ImportErrors.Malformed(path, part, "is in Fortran (column-major) order; only C-order arrays are read (save np.ascontiguousarray(a))");
        int[] shape = TensorData.CheckedShape(path, part, header.Shape, header.ElementCount);

        // The file's own length bounds the allocation, whatever the header declares.
        long expected = header.ElementCount * size, present = stream.Length - stream.Position;
        if (present != expected)
        {
            throw ImportErrors.Malformed(path, part, present < expected
                ? $"is truncated: its data is {present} bytes; shape {TensorData.FormatShape(header.Shape)} of '{header.Descr}' needs {expected}"
                : $"has trailing bytes after the {expected} bytes its shape {TensorData.FormatShape(header.Shape)} needs");
        }
        var bytes = new byte[expected];
        stream.ReadExactly(bytes);
        var data = new int[header.ElementCount];
        for (int i = 0; i < data.Length; i++)
        {
            long v = size == 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i)) : BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i));
            if (v is < int.MinValue or > int.MaxValue)
                throw ImportErrors.Malformed(path, part, $"has element {i} = {v}, which does not fit in 32 bits");
            data[i] = (int)v;
        }
        return (shape, data);
    }
}
