using System.Numerics.Tensors;
using FastRnn.Format;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static FastRnn.Benchmarks.OnnxProto;

namespace FastRnn.Benchmarks;

/// <summary>
/// ONNX Runtime's contender for token-by-token generation with a shipped LSTM language model (embedding, stacked LSTM,
/// output layer): one ONNX graph of a single step for a batch of B rows — or of T steps, for a prompt or a text scored
/// as one sequence, with log-probabilities at every position as a model's forward pass gives them — built from the same .frnn tensors —
/// Gather → one LSTM node per layer → MatMul + Add → LogSoftmax — as an exporter would write it. Every input and output
/// is pre-bound to pinned arrays, and the states are double-buffered (two bindings, each step's outputs the next step's
/// inputs), so a step copies nothing.
/// </summary>
internal sealed class OnnxLanguageModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding[] _bindings = new OrtIoBinding[2]; // binding b reads state set b, writes set 1 − b
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = [];
    private readonly float[][][] _states; // [set][layer · 2 + (h | c)]: (1, B, H) each, flattened
    private readonly long[] _tokenInput; // (T, B)
    private int _current;

    public OnnxLanguageModelRunner(string frnnPath, int batch, int threads = 1, int steps = 1)
    {
        using FrnnFile file = FrnnFile.Open(frnnPath);
        int layers = checked((int)file.GetInt64("rnn.num_layers")), hidden = checked((int)file.GetInt64("rnn.hidden_size"));
        int vocabulary = file.GetTensorInfo("embedding.weight").Shape[0];
        Batch = batch;
        Steps = steps;
        Vocabulary = vocabulary;
        _tokenInput = new long[steps * batch];
        LogProbabilities = new float[steps * batch * vocabulary];
        _states = [new float[2 * layers][], new float[2 * layers][]];
        for (int set = 0; set < 2; set++)
        {
            for (int s = 0; s < 2 * layers; s++)
                _states[set][s] = new float[batch * hidden];
        }

        using SessionOptions options = OnnxSessionOptions.Create(threads);
        _session = new InferenceSession(Build(file, layers, hidden, vocabulary, batch, steps), options);
        OrtValue tokens = Pin(_tokenInput, steps, batch), logProbs = Pin(LogProbabilities, steps, batch, vocabulary);
        for (int b = 0; b < 2; b++)
        {
            OrtIoBinding binding = _session.CreateIoBinding();
            binding.BindInput("tokens", tokens);
            binding.BindOutput("log_probs", logProbs);
            for (int layer = 0; layer < layers; layer++)
            {
                binding.BindInput($"h{layer}", Pin(_states[b][2 * layer], 1, batch, hidden));
                binding.BindInput($"c{layer}", Pin(_states[b][2 * layer + 1], 1, batch, hidden));
                binding.BindOutput($"h{layer}_out", Pin(_states[1 - b][2 * layer], 1, batch, hidden));
                binding.BindOutput($"c{layer}_out", Pin(_states[1 - b][2 * layer + 1], 1, batch, hidden));
            }
            _bindings[b] = binding;
        }
    }

    public int Batch { get; }

    /// <summary>T, the steps of one call.</summary>
    public int Steps { get; }

    public int Vocabulary { get; }

    /// <summary>(T, B, V): log p(next token) of every row at every position of the last <see cref="Step"/>.</summary>
    public float[] LogProbabilities { get; }

    /// <summary>Feeds row b token <paramref name="tokens"/>[t · B + b] at position t and computes every distribution.</summary>
    public void Step(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < _tokenInput.Length; i++)
            _tokenInput[i] = tokens[i];
        _session.RunWithBinding(_runOptions, _bindings[_current]);
        _current = 1 - _current;
    }

    /// <summary>Greedy: the most likely next token of row <paramref name="row"/>.</summary>
    public int ArgMax(int row) => TensorPrimitives.IndexOfMax(LogProbabilities.AsSpan(row * Vocabulary, Vocabulary));

    /// <summary>Every row back to the zero state.</summary>
    public void Reset()
    {
        foreach (float[] state in _states[_current])
            Array.Clear(state);
    }

    public void Dispose()
    {
        foreach (OrtIoBinding binding in _bindings)
            binding.Dispose();
        foreach (OrtValue value in _values)
            value.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static byte[] Build(FrnnFile file, int layers, int hidden, int vocabulary, int batch, int steps)
    {
        GateOrder order = GateOrder.Onnx(RecurrentKind.Lstm);
        int rows = 4 * hidden, embedding = file.GetTensorInfo("embedding.weight").Shape[1];
        var graph = new GraphProto
        {
            Name = "lm_step",
            Input = { TokenValue("tokens", steps, batch) },
            Output = { Value("log_probs", steps, batch, vocabulary) },
            Initializer = { FloatTensor("embedding", file.GetFloat32("embedding.weight").ToArray(), vocabulary, embedding) },
        };
        graph.Node.Add(new NodeProto { Name = "embed", OpType = "Gather", Input = { "embedding", "tokens" }, Output = { "x0" } }); // (T, B, E)
        var stateShape = new TensorProto { Name = "state_shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        stateShape.Dims.Add(3);
        stateShape.Int64Data.Add([steps, batch, hidden]);
        graph.Initializer.Add(stateShape);
        for (int layer = 0; layer < layers; layer++)
        {
            int input = layer == 0 ? embedding : hidden;
            var bias = new float[2 * rows];
            order.FromPyTorch<float>(file.GetFloat32($"rnn.bias_ih_l{layer}"), hidden).CopyTo(bias, 0);
            order.FromPyTorch<float>(file.GetFloat32($"rnn.bias_hh_l{layer}"), hidden).CopyTo(bias, rows);
            graph.Initializer.Add(FloatTensor($"W{layer}", order.FromPyTorch<float>(file.GetFloat32($"rnn.weight_ih_l{layer}"), hidden * input), 1, rows, input));
            graph.Initializer.Add(FloatTensor($"R{layer}", order.FromPyTorch<float>(file.GetFloat32($"rnn.weight_hh_l{layer}"), hidden * hidden), 1, rows, hidden));
            graph.Initializer.Add(FloatTensor($"B{layer}", bias, 1, 2 * rows));
            graph.Input.Add(Value($"h{layer}", 1, batch, hidden));
            graph.Input.Add(Value($"c{layer}", 1, batch, hidden));
            graph.Output.Add(Value($"h{layer}_out", 1, batch, hidden));
            graph.Output.Add(Value($"c{layer}_out", 1, batch, hidden));
            graph.Node.Add(new NodeProto
            {
                Name = $"lstm{layer}",
                OpType = "LSTM",
                Input = { $"x{layer}", $"W{layer}", $"R{layer}", $"B{layer}", "", $"h{layer}", $"c{layer}" },
                Output = { $"y{layer}", $"h{layer}_out", $"c{layer}_out" },
                Attribute = { IntAttribute("hidden_size", hidden) },
            });
            // Y is (T, 1, B, H): the next layer's X is (T, B, H).
            graph.Node.Add(new NodeProto { Name = $"squeeze{layer}", OpType = "Reshape", Input = { $"y{layer}", "state_shape" }, Output = { $"x{layer + 1}" } });
        }

        // The output layer as an exporter writes nn.Linear on a 3-d input: MatMul by Wᵀ, then Add.
        float[] weight = file.GetFloat32("output.weight").ToArray(), transposed = new float[weight.Length]; // (V, H) → (H, V)
        for (int v = 0; v < vocabulary; v++)
        {
            for (int j = 0; j < hidden; j++)
                transposed[j * vocabulary + v] = weight[v * hidden + j];
        }
        graph.Initializer.Add(FloatTensor("output_weight_t", transposed, hidden, vocabulary));
        graph.Initializer.Add(FloatTensor("output_bias", file.GetFloat32("output.bias").ToArray(), vocabulary));
        graph.Node.Add(new NodeProto { Name = "output", OpType = "MatMul", Input = { $"x{layers}", "output_weight_t" }, Output = { "logits_nobias" } });
        graph.Node.Add(new NodeProto { Name = "output_bias_add", OpType = "Add", Input = { "logits_nobias", "output_bias" }, Output = { "logits" } });
        graph.Node.Add(new NodeProto { Name = "log_softmax", OpType = "LogSoftmax", Input = { "logits" }, Output = { "log_probs" }, Attribute = { IntAttribute("axis", -1) } });

        var model = new ModelProto
        {
            IrVersion = OnnxRecurrentModel.IrVersion,
            ProducerName = "FastRnn.Benchmarks",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = OnnxRecurrentModel.Opset } },
            Graph = graph,
        };
        return model.ToByteArray();
    }

    private static ValueInfoProto TokenValue(string name, params long[] dims)
    {
        ValueInfoProto value = Value(name, dims);
        value.Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        return value;
    }

    private OrtValue Pin<T>(T[] data, params long[] shape)
        where T : unmanaged
    {
        // The value pins the array until it is disposed, so ONNX Runtime reads and writes it in place.
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        return value;
    }
}
