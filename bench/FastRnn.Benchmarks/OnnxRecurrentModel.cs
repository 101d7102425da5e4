using FastRnn.Layers;
using Google.Protobuf;
using Onnx;
using static FastRnn.Benchmarks.OnnxProto;

namespace FastRnn.Benchmarks;

/// <summary>
/// Builds, in memory, the ONNX model PyTorch's exporter would write for a one-layer LSTM or GRU, one direction or two:
/// a single <c>LSTM</c>/<c>GRU</c> node (opset 14) with W, R and B as initializers, inputs X (T, 1, I) and
/// initial_h (1, 1, H) (plus initial_c for an LSTM), outputs Y (T, 1, 1, H), Y_h (1, 1, H) (and Y_c).
/// </summary>
internal static class OnnxRecurrentModel
{
    public const int Opset = 14;

    /// <summary>ONNX IR version 8 (ONNX 1.10): new enough for opset 14, old enough for any recent runtime.</summary>
    public const long IrVersion = 8;

    /// <summary>The serialized model for sequences of exactly <paramref name="steps"/> steps of <paramref name="batch"/> streams.</summary>
    public static byte[] Build(RecurrentWeights w, int steps, int batch = 1) => Build([w], steps, batch);

    /// <summary>
    /// The same for one direction or, given two, a bidirectional node (the second runs backwards): W, R and B stack the
    /// directions, initial_h (and initial_c) are (D, B, H), Y is (T, D, B, H).
    /// </summary>
    public static byte[] Build(IReadOnlyList<RecurrentWeights> directions, int steps, int batch = 1)
    {
        RecurrentWeights w = directions[0];
        bool lstm = w.Kind == RecurrentKind.Lstm;
        int d = directions.Count, hs = w.HiddenSize, rows = w.GateCount * hs;
        GateOrder order = GateOrder.Onnx(w.Kind); // PyTorch's stacked gate blocks into ONNX's order

        var weights = new float[d * rows * w.InputSize];
        var recurrent = new float[d * rows * hs];
        var bias = new float[d * 2 * rows]; // B = [Wb ; Rb] per direction, (D, 2·G·H)
        for (int i = 0; i < d; i++)
        {
            RecurrentWeights di = directions[i];
            order.FromPyTorch<float>(di.WeightIh, hs * w.InputSize).CopyTo(weights, i * rows * w.InputSize);
            order.FromPyTorch<float>(di.WeightHh, hs * hs).CopyTo(recurrent, i * rows * hs);
            order.FromPyTorch<float>(di.BiasIh, hs).CopyTo(bias, i * 2 * rows);
            order.FromPyTorch<float>(di.BiasHh, hs).CopyTo(bias, i * 2 * rows + rows);
        }

        var node = new NodeProto
        {
            Name = lstm ? "lstm" : "gru",
            OpType = lstm ? "LSTM" : "GRU",
            // The empty name skips the optional sequence_lens input: every sequence runs all T steps.
            Input = { "X", "W", "R", "B", "", "initial_h" },
            Output = { "Y", "Y_h" },
            Attribute = { IntAttribute("hidden_size", hs) },
        };
        if (d == 2)
            node.Attribute.Add(new AttributeProto { Name = "direction", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("bidirectional") });
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
                FloatTensor("W", weights, d, rows, w.InputSize),
                FloatTensor("R", recurrent, d, rows, hs),
                FloatTensor("B", bias, d, 2 * rows),
            },
            Input = { Value("X", steps, batch, w.InputSize), Value("initial_h", d, batch, hs) },
            Output = { Value("Y", steps, d, batch, hs), Value("Y_h", d, batch, hs) },
        };
        if (lstm)
        {
            graph.Input.Add(Value("initial_c", d, batch, hs));
            graph.Output.Add(Value("Y_c", d, batch, hs));
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
}
