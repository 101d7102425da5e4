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
/// to the type (float16 and bfloat16 bit patterns in <c>int32_data</c>). Data in an external file is refused.
/// </remarks>
internal static class OnnxTensorReader
{
    public static ConstTensor Read(string source, TensorProto t, string name)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw OnnxErrors.Tensor(source, name, "keeps its data in an external file; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))");
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
        ReadOnlySpan<byte> raw = t.RawData.Span;
        bool hasRaw = !t.RawData.IsEmpty;
        // Every result below is allocated only after Raw or Typed has matched the declared shape against the bytes or
        // values the file really holds, so a shape that lies cannot size an allocation.
        switch (type)
        {
            case DataType.Float:
            {
                if (hasRaw)
                {
                    ReadOnlySpan<byte> bytes = Raw(source, name, raw, n, 4);
                    var data = new float[n];
                    FloatConversion.FromF32(bytes, data);
                    return ConstTensor.Float(shape, data);
                }
                return ConstTensor.Float(shape, Typed(source, name, t.FloatData, n));
            }
            case DataType.Double:
            {
                if (hasRaw)
                {
                    ReadOnlySpan<byte> bytes = Raw(source, name, raw, n, 8);
                    var data = new float[n];
                    FloatConversion.FromF64(bytes, data);
                    return ConstTensor.Float(shape, data);
                }
                return ConstTensor.Float(shape, Array.ConvertAll(Typed(source, name, t.DoubleData, n), v => (float)v));
            }
            case DataType.Float16 or DataType.Bfloat16:
            {
                ReadOnlySpan<byte> bytes = hasRaw ? Raw(source, name, raw, n, 2) : Int32DataAsBytes(source, name, t, n);
                var data = new float[n];
                if (type == DataType.Float16)
                    FloatConversion.FromF16(bytes, data);
                else
                    FloatConversion.FromBF16(bytes, data);
                return ConstTensor.Float(shape, data);
            }
            case DataType.Int64:
                return ConstTensor.Int(shape, hasRaw ? Ints(Raw(source, name, raw, n, 8), 8, signed: true) : Typed(source, name, t.Int64Data, n));
            case DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.Uint16 or DataType.Uint8 or DataType.Bool:
            {
                int size = type switch { DataType.Int32 => 4, DataType.Int16 or DataType.Uint16 => 2, _ => 1 };
                bool signed = type is DataType.Int32 or DataType.Int16 or DataType.Int8;
                return ConstTensor.Int(shape, hasRaw ? Ints(Raw(source, name, raw, n, size), size, signed) : Array.ConvertAll(Typed(source, name, t.Int32Data, n), v => (long)v));
            }
            case DataType.Uint32:
                return ConstTensor.Int(shape, hasRaw ? Ints(Raw(source, name, raw, n, 4), 4, signed: false) : Array.ConvertAll(Typed(source, name, t.Uint64Data, n), v => (long)v));
            default:
                throw OnnxErrors.Tensor(source, name, $"has element type {type}; FastRnn reads floating-point weights and integer shapes and lengths");
        }
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

    private static long[] Ints(ReadOnlySpan<byte> raw, int size, bool signed)
    {
        var result = new long[raw.Length / size];
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
        return result;
    }
}
