using Google.Protobuf;
using Onnx;
using static FastRnn.Benchmarks.OnnxProto;

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
    private static readonly GateOrder Onnx = GateOrder.Onnx(RecurrentKind.Lstm);

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
            Attribute = { IntAttribute("hidden_size", h) },
        };
        var onnxBias = new float[2 * rows];
        Onnx.FromPyTorch<float>(bias.AsSpan(0, rows), h).CopyTo(onnxBias, 0);
        Onnx.FromPyTorch<float>(bias.AsSpan(rows, rows), h).CopyTo(onnxBias, rows);
        var graph = new GraphProto
        {
            Name = "dynamic_quantize_lstm",
            Node = { node },
            Initializer =
            {
                Int8Tensor("W", Transpose(Onnx.FromPyTorch<sbyte>(weightIh, h * inputSize), rows, inputSize), 1, inputSize, rows),
                Int8Tensor("R", Transpose(Onnx.FromPyTorch<sbyte>(weightHh, h * h), rows, h), 1, h, rows),
                FloatTensor("B", onnxBias, 1, 2 * rows),
                FloatTensor("W_scale", Onnx.FromPyTorch<float>(scaleIh, h), 1, rows),
                Int8Tensor("W_zero_point", new sbyte[rows], 1, rows),
                FloatTensor("R_scale", Onnx.FromPyTorch<float>(scaleHh, h), 1, rows),
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
}
