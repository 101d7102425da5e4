using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Benchmarks;

/// <summary>The ONNX protobuf pieces the benchmarks' hand-built models are made of.</summary>
internal static class OnnxProto
{
    public static AttributeProto IntAttribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static TensorProto FloatTensor(string name, float[] data, params long[] dims)
        => Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(data.AsSpan()), dims);

    public static TensorProto Int8Tensor(string name, sbyte[] data, params long[] dims)
        => Raw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(data.AsSpan()), dims);

    /// <summary>A float32 graph input or output of a fixed shape.</summary>
    public static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    // raw_data is little-endian, which is how the values already sit in memory on the CPUs .NET runs on.
    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("raw_data is little-endian; this builder copies memory as is");
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(dims);
        return tensor;
    }
}
