using System.Runtime.InteropServices;
using System.Text;

namespace FastRnn.Format;

/// <summary>
/// Builds an .frnn weights file (docs/format.md): typed metadata plus float32 tensors, each tensor 64-byte aligned
/// in the file. Entries are written in the order they were added, and the same additions always produce the same
/// bytes.
/// </summary>
/// <remarks>Values are copied when added, so later changes to the caller's arrays do not affect the output. Tensors are
/// float32, bfloat16 or int8 with per-row scales; float16 is read (widened) but not written.</remarks>
public sealed class FrnnWriter
{
    // Throws on unpaired surrogates instead of silently writing U+FFFD, so a name always round-trips exactly.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<(byte[] Key, FrnnMetadataType Type, object Value)> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<(byte[] Name, int[] Shape, FrnnDType DType, byte[] Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Adds an int64 metadata entry.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, not encodable as UTF-8, or already added.</exception>
    public void AddMetadata(string key, long value) => AddEntry(key, FrnnMetadataType.Int64, value);

    /// <summary>Adds a float64 metadata entry (stored bit for bit).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, not encodable as UTF-8, or already added.</exception>
    public void AddMetadata(string key, double value) => AddEntry(key, FrnnMetadataType.Float64, value);

    /// <summary>Adds a string metadata entry (stored as UTF-8).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> or <paramref name="value"/> is not encodable as
    /// UTF-8, or the key is empty or already added.</exception>
    public void AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        AddEntry(key, FrnnMetadataType.String, Encode(value, $"metadata '{key}' value", nameof(value)));
    }

    /// <summary>Adds a bool metadata entry.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, not encodable as UTF-8, or already added.</exception>
    public void AddMetadata(string key, bool value) => AddEntry(key, FrnnMetadataType.Bool, value);

    /// <summary>Adds an int64-array metadata entry (copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, not encodable as UTF-8, or already added.</exception>
    public void AddMetadata(string key, long[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        AddEntry(key, FrnnMetadataType.Int64Array, value.ToArray());
    }

    /// <summary>Adds a string-array metadata entry (copied, each element stored as UTF-8).</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty, not encodable as UTF-8, or already added,
    /// or an element is null or not encodable as UTF-8.</exception>
    public void AddMetadata(string key, string[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var encoded = new byte[value.Length][];
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] is null)
            {
                FormatErrors.ThrowNullArrayElement(key, i, nameof(value));
            }

            encoded[i] = Encode(value[i], $"metadata '{key}' element {i}", nameof(value));
        }

        AddEntry(key, FrnnMetadataType.StringArray, encoded);
    }

    /// <summary>Adds a float32 tensor of the given shape (row-major, outermost dimension first; empty for a scalar).
    /// The data is copied.</summary>
    /// <param name="name">Unique, non-empty tensor name, e.g. <c>encoder.lstm.0.weight_ih</c>.</param>
    /// <param name="shape">Up to 8 non-negative dimensions.</param>
    /// <param name="data">Exactly the product of <paramref name="shape"/> elements (1 for a scalar).</param>
    /// <exception cref="ArgumentException">The name is empty, not encodable as UTF-8 or already added; the rank is
    /// above 8; a dimension is negative; or the data length differs from the element count.</exception>
    public void AddTensor(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
        => Add(name, shape, FrnnDType.Float32, data.Length, MemoryMarshal.AsBytes(data));

    /// <summary>Adds a bfloat16 tensor: each element the upper 16 bits of a binary32 (see docs/format.md).</summary>
    /// <inheritdoc cref="AddTensor" path="/exception"/>
    public void AddBFloat16Tensor(string name, ReadOnlySpan<int> shape, ReadOnlySpan<ushort> data)
        => Add(name, shape, FrnnDType.BFloat16, data.Length, MemoryMarshal.AsBytes(data));

    /// <summary>
    /// Adds an int8 tensor and its float32 scales as the tensor <c>&lt;name&gt;.scale</c>, one per row (shape
    /// without the last dimension): element [r, k] stands for <c>data[r, k] · scales[r]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="AddTensor"/>; the rank is 0; there is not one scale per row;
    /// or a byte is −128 (the format's int8 is symmetric, ±127).</exception>
    public void AddInt8Tensor(string name, ReadOnlySpan<int> shape, ReadOnlySpan<sbyte> data, ReadOnlySpan<float> scales)
    {
        if (shape.IsEmpty)
            throw new ArgumentException($"int8 tensor '{name}' needs at least one dimension: its scales are per row", nameof(shape));
        if (data.Contains(sbyte.MinValue))
            throw new ArgumentException($"int8 tensor '{name}' holds -128; the format's int8 is symmetric, -127..127", nameof(data));
        Add(name, shape, FrnnDType.Int8, data.Length, MemoryMarshal.AsBytes(data));
        AddTensor(name + FrnnLayout.ScaleSuffix, shape[..^1], scales);
    }

    private void Add(string name, ReadOnlySpan<int> shape, FrnnDType dtype, int dataLength, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        byte[] utf8 = EncodeName(name, "tensor name", nameof(name));
        if (_names.Contains(name))
        {
            FormatErrors.ThrowDuplicateTensorName(name, nameof(name));
        }

        if (shape.Length > FrnnLayout.MaxRank)
        {
            FormatErrors.ThrowRankArgument(name, shape.Length, nameof(shape));
        }

        long elementCount = ElementCount(name, shape);
        if (elementCount != dataLength)
        {
            FormatErrors.ThrowShapeDataMismatch(name, shape, elementCount, dataLength, "data");
        }

        _names.Add(name);
        _tensors.Add((utf8, shape.ToArray(), dtype, bytes.ToArray()));
    }

    /// <summary>Writes the complete file to <paramref name="stream"/> at its current position.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Emit(stream, EncodePrefix().Prefix);
    }

    /// <summary>Returns the complete file as a new array.</summary>
    /// <exception cref="InvalidOperationException">The file would be larger than an array can hold; use
    /// <see cref="WriteTo"/> or <see cref="Save"/>.</exception>
    public byte[] ToArray()
    {
        (byte[] prefix, ulong dataLength) = EncodePrefix();
        ulong total = (ulong)prefix.Length + dataLength;
        if (total > (ulong)Array.MaxLength)
        {
            FormatErrors.ThrowTooLargeForArray(total);
        }

        byte[] file = new byte[total];
        Emit(new MemoryStream(file, writable: true), prefix);
        return file;
    }

    /// <summary>Writes the file to <paramref name="path"/>, replacing any existing file.</summary>
    /// <remarks>Writes a temporary file next to the target and renames it over the target. A reader that has the
    /// old file memory-mapped keeps seeing the old bytes; truncating the mapped file in place would instead make
    /// that reader fault (SIGBUS) on its next access.</remarks>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        string temporary = $"{target}.{Path.GetRandomFileName()}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                WriteTo(stream);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private void AddEntry(string key, FrnnMetadataType type, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] utf8 = EncodeName(key, "metadata key", nameof(key));
        if (!_keys.Add(key))
        {
            FormatErrors.ThrowDuplicateMetadataKey(key, nameof(key));
        }

        _metadata.Add((utf8, type, value));
    }

    private static byte[] EncodeName(string text, string what, string paramName)
    {
        if (text.Length == 0)
        {
            FormatErrors.ThrowEmptyNameArgument(what, paramName);
        }

        return Encode(text, what, paramName);
    }

    private static byte[] Encode(string text, string what, string paramName)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            FormatErrors.ThrowNotUtf8Encodable(what, text, paramName, e);
            return [];
        }
    }

    private static long ElementCount(string name, ReadOnlySpan<int> shape)
    {
        foreach (int dim in shape)
        {
            if (dim < 0)
            {
                FormatErrors.ThrowNegativeDimension(name, shape, nameof(shape));
            }
        }

        if (shape.Contains(0))
        {
            return 0;
        }

        long count = 1;
        foreach (int dim in shape)
        {
            // Stop once past any possible span length: count <= int.MaxValue before each multiply, so no overflow.
            count *= dim;
            if (count > int.MaxValue)
            {
                return count;
            }
        }

        return count;
    }

    /// <summary>Writes the encoded prefix, then each tensor's bytes followed by zeros up to the next multiple of 64.</summary>
    private void Emit(Stream stream, byte[] prefix)
    {
        Span<byte> zeros = stackalloc byte[FrnnLayout.Alignment];
        zeros.Clear();
        stream.Write(prefix);
        foreach ((_, _, _, byte[] bytes) in _tensors)
        {
            stream.Write(bytes);
            stream.Write(zeros[..Padding(bytes.Length)]);
        }
    }

    private static int Padding(long length) => (int)(FrnnLayout.AlignUp((ulong)length) - (ulong)length);

    /// <summary>Encodes header, metadata, tensor table and the padding before the data section, with the checksum
    /// filled in; the tensor bytes themselves are streamed by <see cref="WriteTo"/>.</summary>
    private (byte[] Prefix, ulong DataLength) EncodePrefix()
    {
        FrnnLayout.EnsureLittleEndianHost();
        var metadata = new ByteWriter();
        foreach ((byte[] key, FrnnMetadataType type, object value) in _metadata)
        {
            metadata.WriteString(key);
            metadata.WriteU8((byte)type);
            WriteValue(metadata, type, value);
        }

        var table = new ByteWriter();
        ulong cursor = 0;
        foreach ((byte[] name, int[] shape, FrnnDType dtype, byte[] data) in _tensors)
        {
            ulong byteLength = (ulong)data.Length;
            table.WriteString(name);
            table.WriteU8((byte)dtype);
            table.WriteU8((byte)shape.Length);
            foreach (int dim in shape)
            {
                table.WriteU64((ulong)dim);
            }

            table.WriteU64(cursor);
            table.WriteU64(byteLength);
            cursor = FrnnLayout.AlignUp(cursor + byteLength);
        }

        ulong tableOffset = (ulong)FrnnLayout.HeaderSize + (ulong)metadata.Length;
        ulong dataOffset = FrnnLayout.AlignUp(tableOffset + (ulong)table.Length);
        var header = new FrnnHeader(
            Version: FrnnLayout.Version,
            HeaderSize: FrnnLayout.HeaderSize,
            FileLength: dataOffset + cursor,
            Checksum: 0,
            Reserved0: 0,
            MetadataOffset: FrnnLayout.HeaderSize,
            MetadataLength: (ulong)metadata.Length,
            TableOffset: tableOffset,
            TableLength: (ulong)table.Length,
            DataOffset: dataOffset,
            DataLength: cursor,
            MetadataCount: (uint)_metadata.Count,
            TensorCount: (uint)_tensors.Count,
            Reserved1: 0);

        byte[] prefix = new byte[checked((int)dataOffset)];
        header.Write(prefix);
        metadata.WrittenSpan.CopyTo(prefix.AsSpan(FrnnLayout.HeaderSize));
        table.WrittenSpan.CopyTo(prefix.AsSpan((int)tableOffset));

        // The checksum field is still zero here, which is exactly how the checksum is defined.
        uint state = Crc32C.Append(Crc32C.Begin, prefix);
        foreach ((_, _, _, byte[] bytes) in _tensors)
        {
            state = Crc32C.Append(state, bytes);
            state = Crc32C.AppendZeros(state, Padding(bytes.Length));
        }

        (header with { Checksum = Crc32C.End(state) }).Write(prefix);
        return (prefix, cursor);
    }

    private static void WriteValue(ByteWriter writer, FrnnMetadataType type, object value)
    {
        switch (type)
        {
            case FrnnMetadataType.Int64:
                writer.WriteI64((long)value);
                break;
            case FrnnMetadataType.Float64:
                writer.WriteF64((double)value);
                break;
            case FrnnMetadataType.String:
                writer.WriteString((byte[])value);
                break;
            case FrnnMetadataType.Bool:
                writer.WriteU8((bool)value ? (byte)1 : (byte)0);
                break;
            case FrnnMetadataType.Int64Array:
                long[] longs = (long[])value;
                writer.WriteU32((uint)longs.Length);
                foreach (long element in longs)
                {
                    writer.WriteI64(element);
                }

                break;
            case FrnnMetadataType.StringArray:
                byte[][] strings = (byte[][])value;
                writer.WriteU32((uint)strings.Length);
                foreach (byte[] element in strings)
                {
                    writer.WriteString(element);
                }

                break;
        }
    }
}
