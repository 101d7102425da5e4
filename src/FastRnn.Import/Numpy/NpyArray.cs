using System.Runtime.InteropServices;

namespace FastRnn.Import;

/// <summary>
/// Reads and writes single float32 arrays in NumPy's .npy format (what <c>np.save</c> writes and <c>np.load</c>
/// reads): little-endian, C order.
/// </summary>
public static class NpyArray
{
    /// <summary>
    /// Reads a .npy file holding a little-endian, C-order float32 array (<c>'&lt;f4'</c>).
    /// </summary>
    /// <returns>The shape (outermost first) and the elements, row-major.</returns>
    /// <exception cref="ImportException">The file is not a .npy array, is truncated or has trailing bytes, or holds
    /// another dtype, a big-endian, Fortran-order or object array; the message says which.</exception>
    public static TensorData Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        InputFiles.RequireFile(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        NpyHeader header = NpyFormat.ReadHeader(stream, path, "array");
        FloatFormat format = NpyFormat.CheckFloat(header, path, "array", float32Only: true);
        return NpyFormat.ReadData(stream, header, format, path, "array", stream.Length - header.DataOffset, sizeIsFileLength: true);
    }

    /// <summary>Writes <paramref name="data"/> as a C-order float32 .npy file of shape <paramref name="shape"/> (format version 1.0).</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not <paramref name="data"/>'s length.</exception>
    public static void Write(string path, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"shape {TensorData.FormatShape(shape)} has a negative dimension", nameof(shape));
            count *= d;
            if (count > Array.MaxLength)
                throw new ArgumentException($"shape {TensorData.FormatShape(shape)} has more elements than fit in one array", nameof(shape));
        }
        if (count != data.Length)
            throw new ArgumentException($"data has {data.Length} floats; shape {TensorData.FormatShape(shape)} needs {count}", nameof(data));

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        stream.Write(NpyFormat.Float32Header(shape));
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
        }
        else
        {
            Span<byte> element = stackalloc byte[4];
            foreach (float v in data)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(element, v);
                stream.Write(element);
            }
        }
    }
}
