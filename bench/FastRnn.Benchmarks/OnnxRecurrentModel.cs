using FastRnn.Layers;
using Google.Protobuf;
using Onnx;
using static FastRnn.Benchmarks.OnnxProto;

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

    /// <summary>The serialized model for sequences of exactly <paramref name="steps"/> steps of <paramref name="batch"/> streams.</summary>
    public static byte[] Build(RecurrentWeights w, int steps, int batch = 1)
    {
        bool lstm = w.Kind == RecurrentKind.Lstm;
        int hs = w.HiddenSize, rows = w.GateCount * hs;
        GateOrder order = GateOrder.Onnx(w.Kind); // PyTorch's stacked gate blocks into ONNX's order

        var bias = new float[2 * rows]; // B = [Wb ; Rb], (1, 2·G·H)
        order.FromPyTorch<float>(w.BiasIh, hs).CopyTo(bias, 0);
        order.FromPyTorch<float>(w.BiasHh, hs).CopyTo(bias, rows);

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
                FloatTensor("W", order.FromPyTorch<float>(w.WeightIh, hs * w.InputSize), 1, rows, w.InputSize),
                FloatTensor("R", order.FromPyTorch<float>(w.WeightHh, hs * hs), 1, rows, hs),
                FloatTensor("B", bias, 1, 2 * rows),
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
}
