using System.Runtime.InteropServices;
using FastRnn.Layers;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Benchmarks;

/// <summary>
/// Builds, in memory, the ONNX model PyTorch's exporter would write for a one-layer unidirectional LSTM or GRU:
/// a single <c>LSTM</c>/<c>GRU</c> node (opset 14) with W, R and B as initializers, inputs X (T, 1, I) and
/// initial_h (1, 1, H) (plus initial_c for an LSTM), outputs Y (T, 1, 1, H), Y_h (1, 1, H) (and Y_c).
/// </summary>
internal static class OnnxRecurrentModel
{
    public const int Opset = 14;

    /// <summary>ONNX IR version 8 (ONNX 1.10): new enough for opset 14, old enough for any recent runtime.</summary>
    public const long IrVersion = 8;

    // Where each ONNX gate block comes from in PyTorch's stacked weights:
    // LSTM PyTorch i, f, g, o -> ONNX i, o, f, c; GRU PyTorch r, z, n -> ONNX z, r, h.
    private static readonly int[] LstmGateSource = [0, 3, 1, 2];
    private static readonly int[] GruGateSource = [1, 0, 2];

    /// <summary>The serialized model for sequences of exactly <paramref name="steps"/> steps of <paramref name="batch"/> streams.</summary>
    public static byte[] Build(RecurrentWeights w, int steps, int batch = 1)
    {
        bool lstm = w.Kind == RecurrentKind.Lstm;
        int hs = w.HiddenSize, rows = w.GateCount * hs;
        int[] order = lstm ? LstmGateSource : GruGateSource;

        var bias = new float[2 * rows]; // B = [Wb ; Rb], (1, 2·G·H)
        Reorder(w.BiasIh, order, hs, 1).CopyTo(bias, 0);
        Reorder(w.BiasHh, order, hs, 1).CopyTo(bias, rows);

        var node = new NodeProto
        {
            Name = lstm ? "lstm" : "gru",
            OpType = lstm ? "LSTM" : "GRU",
            // The empty name skips the optional sequence_lens input: every sequence runs all T steps.
            Input = { "X", "W", "R", "B", "", "initial_h" },
            Output = { "Y", "Y_h" },
            Attribute = { IntAttribute("hidden_size", hs) },
        };
        if (lstm)
        {
            node.Input.Add("initial_c");
            node.Output.Add("Y_c");
        }
        else
        {
            // PyTorch's GRU applies the reset gate after the recurrent product ("reset after"); ONNX's default is
            // the original form, so the exporter sets this and so must we.
            node.Attribute.Add(IntAttribute("linear_before_reset", 1));
        }

        var graph = new GraphProto
        {
            Name = node.Name,
            Node = { node },
            Initializer =
            {
                Tensor("W", Reorder(w.WeightIh, order, hs, w.InputSize), 1, rows, w.InputSize),
                Tensor("R", Reorder(w.WeightHh, order, hs, hs), 1, rows, hs),
                Tensor("B", bias, 1, 2 * rows),
            },
            Input = { Value("X", steps, batch, w.InputSize), Value("initial_h", 1, batch, hs) },
            Output = { Value("Y", steps, 1, batch, hs), Value("Y_h", 1, batch, hs) },
        };
        if (lstm)
        {
            graph.Input.Add(Value("initial_c", 1, batch, hs));
            graph.Output.Add(Value("Y_c", 1, batch, hs));
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "FastRnn.Benchmarks",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            Graph = graph,
        };
        return model.ToByteArray();
    }

    /// <summary>Copies the G gate blocks of a (G·H, cols) matrix into ONNX order.</summary>
    private static float[] Reorder(float[] pyTorch, int[] order, int hiddenSize, int cols)
    {
        int block = hiddenSize * cols;
        var result = new float[pyTorch.Length];
        for (int gate = 0; gate < order.Length; gate++)
            pyTorch.AsSpan(order[gate] * block, block).CopyTo(result.AsSpan(gate * block));
        return result;
    }

    private static AttributeProto IntAttribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto Tensor(string name, float[] data, params long[] dims)
    {
        // raw_data holds little-endian IEEE floats, which is how they already sit in memory on the CPUs .NET runs on.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("raw_data is little-endian; this builder copies memory as is");
        var tensor = new TensorProto
        {
            Name = name,
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())),
        };
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
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }
}
