using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Benchmarks;

/// <summary>
/// Builds, in memory, a one-node ONNX model running ONNX Runtime's contrib operator <c>DynamicQuantizeLSTM</c>
/// (domain <c>com.microsoft</c>) on the same int8 weights and per-row scales FastRnn's int8 LSTM uses: W (1, I, 4H)
/// and R (1, H, 4H) are the transposed int8 matrices in ONNX gate order (i, o, f, c), W_scale/R_scale (1, 4H) one
/// scale per output channel, zero points 0. Inputs X (T, 1, I), initial_h and initial_c (1, 1, H); outputs Y, Y_h, Y_c.
/// </summary>
/// <remarks>ONNX Runtime quantizes the activations itself, to u8 with a zero point, on every call; only the weights are
/// shared.</remarks>
internal static class OnnxQuantizedLstmModel
{
    // PyTorch i, f, g, o -> ONNX i, o, f, c.
    private static readonly int[] GateSource = [0, 3, 1, 2];

    /// <param name="weightIh">int8 W_ih, (4H, I) row-major, PyTorch gate order.</param>
    /// <param name="scaleIh">Its per-row scales, (4H).</param>
    /// <param name="weightHh">int8 W_hh, (4H, H).</param>
    /// <param name="scaleHh">Its per-row scales, (4H).</param>
    /// <param name="bias">b_ih then b_hh, (8H), PyTorch gate order.</param>
    public static byte[] Build(sbyte[] weightIh, float[] scaleIh, sbyte[] weightHh, float[] scaleHh, float[] bias, int inputSize, int hiddenSize, int steps)
    {
        int h = hiddenSize, rows = 4 * h;
        var node = new NodeProto
        {
            Name = "lstm",
            OpType = "DynamicQuantizeLSTM",
            Domain = "com.microsoft",
            Input = { "X", "W", "R", "B", "", "initial_h", "initial_c", "", "W_scale", "W_zero_point", "R_scale", "R_zero_point" },
            Output = { "Y", "Y_h", "Y_c" },
            Attribute = { new AttributeProto { Name = "hidden_size", Type = AttributeProto.Types.AttributeType.Int, I = h } },
        };
        var onnxBias = new float[2 * rows];
        Reorder(bias.AsSpan(0, rows), h, 1).CopyTo(onnxBias, 0);
        Reorder(bias.AsSpan(rows, rows), h, 1).CopyTo(onnxBias, rows);
        var graph = new GraphProto
        {
            Name = "dynamic_quantize_lstm",
            Node = { node },
            Initializer =
            {
                Int8Tensor("W", Transpose(Reorder<sbyte>(weightIh, h, inputSize), rows, inputSize), 1, inputSize, rows),
                Int8Tensor("R", Transpose(Reorder<sbyte>(weightHh, h, h), rows, h), 1, h, rows),
                FloatTensor("B", onnxBias, 1, 2 * rows),
                FloatTensor("W_scale", Reorder<float>(scaleIh, h, 1), 1, rows),
                Int8Tensor("W_zero_point", new sbyte[rows], 1, rows),
                FloatTensor("R_scale", Reorder<float>(scaleHh, h, 1), 1, rows),
                Int8Tensor("R_zero_point", new sbyte[rows], 1, rows),
            },
            Input = { Value("X", steps, 1, inputSize), Value("initial_h", 1, 1, h), Value("initial_c", 1, 1, h) },
            Output = { Value("Y", steps, 1, 1, h), Value("Y_h", 1, 1, h), Value("Y_c", 1, 1, h) },
        };
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "FastRnn",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 14 }, new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 } },
            Graph = graph,
        };
        return model.ToByteArray();
    }

    private static T[] Reorder<T>(ReadOnlySpan<T> pyTorch, int hiddenSize, int cols)
    {
        int block = hiddenSize * cols;
        var result = new T[pyTorch.Length];
        for (int gate = 0; gate < GateSource.Length; gate++)
            pyTorch.Slice(GateSource[gate] * block, block).CopyTo(result.AsSpan(gate * block));
        return result;
    }

    private static sbyte[] Transpose(sbyte[] m, int rows, int cols)
    {
        var t = new sbyte[m.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < cols; k++)
                t[k * rows + r] = m[r * cols + k];
        }
        return t;
    }

    private static TensorProto FloatTensor(string name, float[] data, params long[] dims)
        => Raw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(data.AsSpan()), dims);

    private static TensorProto Int8Tensor(string name, sbyte[] data, params long[] dims)
        => Raw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(data.AsSpan()), dims);

    // raw_data is little-endian, which is how the values already sit in memory on the CPUs .NET runs on.
    private static TensorProto Raw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("raw_data is little-endian; this builder copies memory as is");
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
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
}
