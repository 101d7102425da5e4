using System.Buffers.Binary;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FastRnn.Import;

/// <summary>
/// Decodes an ONNX <c>TensorProto</c> (an initializer or a Constant node's value) into a <see cref="ConstTensor"/>:
/// float32, float16, bfloat16 and float64 to float32; the integer types and bool to int64.
/// </summary>
/// <remarks>
/// The elements are either little-endian in <c>raw_data</c> or in the typed repeated field the ONNX spec assigns
/// to the type (float16 and bfloat16 bit patterns in <c>int32_data</c>), or in an external file next to the model
/// (<see cref="OnnxExternalData"/>), read in chunks and decoded by the same code as inline raw data.
/// </remarks>
internal static class OnnxTensorReader
{
    /// <summary>Decodes <paramref name="t"/>; <paramref name="external"/> finds its bytes when they are in an external file.</summary>
    public static ConstTensor Read(string source, TensorProto t, string name, OnnxExternalData external)
    {
        if (t.Segment is not null)
            throw OnnxErrors.Tensor(source, name, "is split into segments, which FastRnn does not read");
        long[] shape = t.Dims.ToArray();
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw OnnxErrors.Tensor(source, name, $"has dimension {d}");
            count = d == 0 ? 0 : count > Array.MaxLength / d ? long.MaxValue : count * d;
        }
        if (count > Array.MaxLength)
            throw OnnxErrors.Tensor(source, name, $"has shape {TensorData.FormatShape(shape)}, too many elements for one array");
        int n = (int)count;
        var type = (DataType)t.DataType;
        int size = ElementSize(type) ?? throw OnnxErrors.Tensor(source, name, $"has element type {type}; FastRnn reads floating-point weights and integer shapes and lengths");
        // Every result below is allocated only after Raw, Typed or the external range has matched the declared shape
        // against the bytes or values the file really holds, so a shape that lies cannot size an allocation.
        if (OnnxExternalData.IsExternal(t))
        {
            OnnxExternalRange range = external.Open(t, name, (long)n * size);
            ConstTensor read = Allocate(source, name, type, shape, n);
            range.Read((chunk, position) => Decode(type, size, chunk, read, (int)(position / size)));
            return read;
        }
        if (!t.RawData.IsEmpty)
        {
            ReadOnlySpan<byte> raw = Raw(source, name, t.RawData.Span, n, size);
            ConstTensor result = Allocate(source, name, type, shape, n);
            Decode(type, size, raw, result, 0);
            return result;
        }
        return type switch
        {
            DataType.Float => ConstTensor.Float(shape, Typed(source, name, t.FloatData, n)),
            DataType.Double => ConstTensor.Float(shape, Array.ConvertAll(Typed(source, name, t.DoubleData, n), v => (float)v)),
            DataType.Float16 or DataType.Bfloat16 => FromInt32Data(source, name, t, type, shape, n),
            DataType.Int64 => ConstTensor.Int(shape, Typed(source, name, t.Int64Data, n)),
            DataType.Uint32 => ConstTensor.Int(shape, Array.ConvertAll(Typed(source, name, t.Uint64Data, n), v => (long)v)),
            _ => ConstTensor.Int(shape, Array.ConvertAll(Typed(source, name, t.Int32Data, n), v => (long)v)),
        };
    }

    /// <summary>Bytes per element in raw (and external) data, or null for a type FastRnn does not read.</summary>
    private static int? ElementSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 => 8,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => null,
    };

    /// <summary>The float encoding of a floating-point type, or null for an integer type (read as int64).</summary>
    private static FloatFormat? FloatFormatOf(DataType type) => type switch
    {
        DataType.Float => FloatFormat.F32,
        DataType.Double => FloatFormat.F64,
        DataType.Float16 => FloatFormat.F16,
        DataType.Bfloat16 => FloatFormat.BF16,
        _ => null,
    };

    private static ConstTensor Allocate(string source, string name, DataType type, long[] shape, int count)
        => FloatFormatOf(type) is not null
            ? ConstTensor.Float(shape, TensorMemory.Floats(source, $"tensor '{name}'", count))
            : ConstTensor.Int(shape, TensorMemory.Int64s(source, $"tensor '{name}'", count));

    /// <summary>Decodes little-endian elements into <paramref name="into"/> from element <paramref name="start"/>: inline raw data whole, external data a chunk at a time.</summary>
    private static void Decode(DataType type, int size, ReadOnlySpan<byte> bytes, ConstTensor into, int start)
    {
        int count = bytes.Length / size;
        if (FloatFormatOf(type) is { } format)
            FloatConversion.For(format).Convert(bytes, into.Floats.AsSpan(start, count));
        else
            Ints(bytes, size, signed: type is DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8, into.Ints.AsSpan(start, count));
    }

    // float16 and bfloat16 bit patterns in int32_data, one per value.
    private static ConstTensor FromInt32Data(string source, string name, TensorProto t, DataType type, long[] shape, int count)
    {
        byte[] bytes = Int32DataAsBytes(source, name, t, count);
        var data = new float[count];
        FloatConversion.For(FloatFormatOf(type)!.Value).Convert(bytes, data);
        return ConstTensor.Float(shape, data);
    }

    private static ReadOnlySpan<byte> Raw(string source, string name, ReadOnlySpan<byte> raw, int count, int size)
    {
        if (raw.Length != (long)count * size)
            throw OnnxErrors.Tensor(source, name, $"has {raw.Length} bytes of raw data; its shape needs {(long)count * size}");
        return raw;
    }

    private static T[] Typed<T>(string source, string name, IReadOnlyCollection<T> values, int count)
    {
        if (values.Count != count)
            throw OnnxErrors.Tensor(source, name, $"has {values.Count} values; its shape needs {count}");
        return values.ToArray();
    }

    private static byte[] Int32DataAsBytes(string source, string name, TensorProto t, int count)
    {
        int[] bits = Typed(source, name, t.Int32Data, count);
        var bytes = new byte[2 * count];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)bits[i]);
        return bytes;
    }

    private static void Ints(ReadOnlySpan<byte> raw, int size, bool signed, Span<long> result)
    {
        for (int i = 0; i < result.Length; i++)
        {
            ReadOnlySpan<byte> b = raw.Slice(i * size, size);
            result[i] = (size, signed) switch
            {
                (8, _) => BinaryPrimitives.ReadInt64LittleEndian(b),
                (4, true) => BinaryPrimitives.ReadInt32LittleEndian(b),
                (4, false) => BinaryPrimitives.ReadUInt32LittleEndian(b),
                (2, true) => BinaryPrimitives.ReadInt16LittleEndian(b),
                (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(b),
                (_, true) => (sbyte)b[0],
                _ => b[0],
            };
        }
    }
}
