using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace FastRnn.Import;

/// <summary>
/// The .npy format (numpy.lib.format, versions 1.0 to 3.0): the magic <c>\x93NUMPY</c>, a major and minor version
/// byte, a little-endian header length (u16 in 1.0, u32 in 2.0 and 3.0), a Python-literal dict
/// <c>{'descr', 'fortran_order', 'shape'}</c> padded with spaces and ended by a newline, then the raw elements.
/// </summary>
internal static class NpyFormat
{
    /// <summary>Headers are a few dozen bytes; anything this large is not a real one (numpy itself refuses beyond 10,000 by default).</summary>
    public const int MaxHeaderLength = 1 << 20;

    // A multiple of every element size, small enough to stay out of the large-object heap's way.
    private const int ChunkBytes = 1 << 16;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads and checks the header; <paramref name="part"/> names the array in messages.</summary>
    public static NpyHeader ReadHeader(Stream stream, string file, string part)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length || !prefix[..6].SequenceEqual(Magic))
            throw ImportErrors.Malformed(file, part, "is not a .npy array: it does not start with the magic \\x93NUMPY");
        byte major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw ImportErrors.Malformed(file, part, $"has .npy format version {major}.{minor}; versions 1.0, 2.0 and 3.0 are read");
        Span<byte> lengthBytes = stackalloc byte[major == 1 ? 2 : 4];
        if (stream.ReadAtLeast(lengthBytes, lengthBytes.Length, throwOnEndOfStream: false) < lengthBytes.Length)
            throw ImportErrors.Malformed(file, part, "is truncated inside its header length");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderLength)
            throw ImportErrors.Malformed(file, part, $"declares a {headerLength}-byte header; at most {MaxHeaderLength} is accepted");
        var header = new byte[headerLength];
        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < header.Length)
            throw ImportErrors.Malformed(file, part, $"is truncated inside its header: {read} of {headerLength} bytes");

        string text;
        try
        {
            // 1.0 and 2.0 headers are latin-1 (in practice ASCII); 3.0 allows UTF-8.
            text = major == 3 ? new UTF8Encoding(false, true).GetString(header) : Encoding.Latin1.GetString(header);
        }
        catch (DecoderFallbackException)
        {
            throw ImportErrors.Malformed(file, part, "has a header that is not valid UTF-8");
        }
        object? literal;
        try
        {
            literal = PythonLiteral.Parse(text);
        }
        catch (FormatException e)
        {
            throw ImportErrors.Malformed(file, part, $"has a header that is not a Python dict literal ({e.Message}): {Quote(text)}");
        }
        if (literal is not Dictionary<string, object?> dict)
            throw ImportErrors.Malformed(file, part, $"has a header that is not a dict: {Quote(text)}");
        foreach (string key in dict.Keys)
        {
            if (key is not ("descr" or "fortran_order" or "shape"))
                throw ImportErrors.Malformed(file, part, $"has an unknown header key '{key}'; expected exactly descr, fortran_order and shape");
        }
        if (!dict.TryGetValue("descr", out object? descr) || !dict.TryGetValue("fortran_order", out object? fortran) || !dict.TryGetValue("shape", out object? shape))
            throw ImportErrors.Malformed(file, part, $"has a header without {(dict.ContainsKey("descr") ? dict.ContainsKey("fortran_order") ? "shape" : "fortran_order" : "descr")}: {Quote(text)}");
        if (descr is not string descrText)
            throw ImportErrors.Malformed(file, part, $"has a structured dtype {Quote(text)}; only plain float arrays are read");
        if (fortran is not bool fortranOrder)
            throw ImportErrors.Malformed(file, part, "has a fortran_order that is not True or False");
        if (shape is not List<object?> dims)
            throw ImportErrors.Malformed(file, part, "has a shape that is not a tuple");
        var shapeValues = new long[dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not long d || d < 0)
                throw ImportErrors.Malformed(file, part, $"has shape element {dims[i] ?? "None"}; expected a non-negative integer");
            shapeValues[i] = d;
            count = d == 0 || count == 0 ? 0 : count <= long.MaxValue / d ? count * d : throw ImportErrors.Malformed(file, part, $"has shape {TensorData.FormatShape(shapeValues.AsSpan(0, i + 1))}, more than 2^63 elements");
        }
        return new NpyHeader(descrText, fortranOrder, shapeValues, count, prefix.Length + lengthBytes.Length + headerLength);
    }

    /// <summary>The element format of <paramref name="header"/>, refusing everything that is not a little-endian, C-order float array.</summary>
    public static FloatFormat CheckFloat(NpyHeader header, string file, string part, bool float32Only)
    {
        string d = header.Descr;
        string accepted = float32Only ? "float32 ('<f4')" : "float32 ('<f4'), float64 ('<f8') or float16 ('<f2')";
        if (d.Contains('O', StringComparison.Ordinal))
            throw ImportErrors.Malformed(file, part, $"is an object array (dtype '{d}'): it holds pickled Python objects, which are never loaded; expected {accepted}");
        if (d.StartsWith('>'))
            throw ImportErrors.Malformed(file, part, $"is big-endian (dtype '{d}'); expected little-endian {accepted}");
        FloatFormat? format = d switch
        {
            "<f4" => FloatFormat.F32,
            "<f8" when !float32Only => FloatFormat.F64,
            "<f2" when !float32Only => FloatFormat.F16,
            _ => null,
        };
        if (format is null)
            throw ImportErrors.Malformed(file, part, $"has dtype '{d}'; expected {accepted}");
        if (header.FortranOrder)
            throw ImportErrors.Malformed(file, part, "is in Fortran (column-major) order; only C-order arrays are read (save np.ascontiguousarray(a))");
        return format.Value;
    }

    /// <summary>
    /// Reads the elements that follow the header, requiring exactly the bytes the shape implies: fewer is a truncated
    /// array, more is trailing data. <paramref name="dataBytes"/>, the bytes after the header when the container
    /// knows them (a file's length, a zip entry's declared size), turns a wrong size into an error before anything is
    /// read. The result is allocated whole only when <paramref name="sizeIsFileLength"/> says that size is the bytes
    /// really present; otherwise (a zip entry, whose declared size may lie) it grows with the bytes actually read, so
    /// a header that lies about its shape cannot make this allocate more than the stream holds.
    /// </summary>
    public static TensorData ReadData(Stream stream, NpyHeader header, FloatFormat format, string file, string part, long dataBytes, bool sizeIsFileLength)
    {
        (FloatConversion.ConvertSpan convert, int size) = FloatConversion.For(format);
        int[] shape = TensorData.CheckedShape(file, part, header.Shape, header.ElementCount);
        long count = header.ElementCount;
        long expected = count * size; // ≤ Array.MaxLength · 8: no overflow
        string what = $"shape {TensorData.FormatShape(header.Shape)} of '{header.Descr}'";
        if (dataBytes < expected)
            throw ImportErrors.Malformed(file, part, $"is truncated: its data is {dataBytes} bytes; {what} needs {expected}");
        if (dataBytes > expected)
            throw ImportErrors.Malformed(file, part, $"has trailing bytes after the {expected} bytes {what} needs");

        float[] data = sizeIsFileLength ? TensorMemory.Floats(file, part, count) : new float[Math.Min(count, ChunkBytes / size)];
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long done = 0;
            while (done < count)
            {
                int want = (int)Math.Min(ChunkBytes / size, count - done);
                int got = stream.ReadAtLeast(chunk.AsSpan(0, want * size), want * size, throwOnEndOfStream: false);
                if (got < want * size)
                    throw ImportErrors.Malformed(file, part, $"is truncated: its data is {done * size + got} bytes; {what} needs {expected}");
                if (done + want > data.Length)
                    Array.Resize(ref data, (int)Math.Min(count, Math.Max(2L * data.Length, done + want)));
                convert(chunk.AsSpan(0, want * size), data.AsSpan((int)done, want));
                done += want;
            }
            if (stream.Read(chunk, 0, 1) > 0)
                throw ImportErrors.Malformed(file, part, $"has trailing bytes after the {expected} bytes {what} needs");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return new TensorData(shape, data);
    }

    /// <summary>A version 1.0 (or 2.0 if needed) header for a C-order little-endian float32 array, padded so the data starts on a 64-byte boundary as numpy does.</summary>
    public static byte[] Float32Header(ReadOnlySpan<int> shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int prefix = 10, padded = (prefix + dict.Length + 1 + 63) / 64 * 64 - prefix;
        if (padded > ushort.MaxValue)
        {
            prefix = 12; // version 2.0: a u32 header length
            padded = (prefix + dict.Length + 1 + 63) / 64 * 64 - prefix;
        }
        string text = dict.PadRight(padded - 1) + "\n";
        var bytes = new byte[prefix + padded];
        Magic.CopyTo(bytes);
        bytes[6] = prefix == 10 ? (byte)1 : (byte)2;
        if (prefix == 10)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)padded);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)padded);
        Encoding.ASCII.GetBytes(text, bytes.AsSpan(prefix));
        return bytes;
    }

    private static string Quote(string header) => header.Length > 200 ? header[..200].TrimEnd() + "…" : header.TrimEnd();
}

/// <summary>A parsed .npy header; <paramref name="DataOffset"/> is where the elements start, from the magic.</summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape, long ElementCount, long DataOffset);
