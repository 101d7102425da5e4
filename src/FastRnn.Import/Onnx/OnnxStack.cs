using FastRnn.Layers;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Turns the traced recurrent nodes into one FastRnn stack: checks that the layers agree, reorders the weights into
/// PyTorch's names and gate order, keeps constant initial states and sequence lengths as part of the model, and
/// describes the graph's inputs and outputs.
/// </summary>
/// <remarks>
/// Gate blocks are reordered by <see cref="GateOrder.Onnx"/> (and the peepholes by <see cref="GateOrder.OnnxPeepholes"/>);
/// ONNX B = [Wb ; Rb] per direction: <c>bias_ih</c> = Wb, <c>bias_hh</c> = Rb.
/// </remarks>
internal static class OnnxStack
{

    public static OnnxImportResult Build(string source, GraphProto graph, GraphTracer tracer)
    {
        IReadOnlyList<RecurrentLayer> layers = tracer.Layers;
        RecurrentLayer first = layers[0];
        foreach (RecurrentLayer layer in layers.Skip(1))
            CheckAgrees(source, first, layer);

        int d = first.Directions, h = first.HiddenSize, l = layers.Count;
        int perDirection = first.Kind switch { RecurrentKind.Lstm => 3, RecurrentKind.Gru => 2, _ => 1 };
        RnnActivation[]? activations = first.Activations;
        RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh;
        if (activations is not null && IsDefault(first.Kind, activations, perDirection))
            activations = null;
        else if (first.Kind == RecurrentKind.Rnn && activations is not null && activations.All(a => a.Kind == RnnActivationKind.Relu))
            (activations, nonlinearity) = (null, RnnNonlinearity.Relu);

        RnnConfig config;
        try
        {
            config = new RnnConfig
            {
                Kind = first.Kind,
                InputSize = first.InputSize,
                HiddenSize = h,
                NumLayers = l,
                Bidirectional = d == 2,
                HasBias = layers.Any(x => x.B is not null),
                // ONNX linear_before_reset = 1 is PyTorch's form; other kinds keep the default, as every importer does.
                GruResetAfter = first.Kind != RecurrentKind.Gru || first.LinearBeforeReset,
                Nonlinearity = nonlinearity,
                Clip = first.Clip,
                Activations = activations,
                Peepholes = layers.Any(x => x.P is not null),
                InputForget = first.InputForget,
                Reverse = first.Direction == "reverse",
            };
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw ImportErrors.InvalidModel(e);
        }

        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int k = 0; k < l; k++)
            AddLayer(tensors, config, layers[k], k);

        (int[]? lengths, int? lengthsBatch) = Lengths(source, layers);
        (float[]? h0, int? hBatch) = ConstantState(source, layers, config, x => x.InitialHidden, "initial_h");
        (float[]? c0, int? cBatch) = ConstantState(source, layers, config, x => x.InitialCell, "initial_c");
        int?[] batches = [lengthsBatch, hBatch, cBatch];
        if (batches.Where(b => b is not null).Distinct().Count() > 1)
            throw OnnxErrors.Graph(source, $"the constants fix different batch sizes ({string.Join(", ", batches.Where(b => b is not null))})");

        // The graph's constants are part of the model: its default initial state and its sequence lengths.
        if (h0 is not null)
            tensors[RecurrentParameterSchema.InitialHiddenName] = h0;
        if (c0 is not null)
            tensors[RecurrentParameterSchema.InitialCellName] = c0;
        if (lengths is not null)
        {
            try
            {
                config = config with { SequenceLengths = lengths };
                config.Validate();
            }
            catch (ArgumentException e)
            {
                throw ImportErrors.InvalidModel(e);
            }
        }

        return new OnnxImportResult
        {
            Model = new ImportedModel(config, tensors),
            Layout = first.Layout,
            Inputs = Inputs(source, graph, tracer, config),
            Outputs = Outputs(source, graph, tracer, config),
            SequenceLengths = lengths,
            InitialHidden = h0,
            InitialCell = c0,
            BatchSize = batches.FirstOrDefault(b => b is not null),
        };
    }

    private static void CheckAgrees(string source, RecurrentLayer a, RecurrentLayer b)
    {
        void Same<T>(string what, T x, T y)
        {
            if (!EqualityComparer<T>.Default.Equals(x, y))
                throw OnnxErrors.Disagree(source, a.Node, b.Node, what, $"{x}", $"{y}");
        }
        Same("operator", a.Kind, b.Kind);
        Same("direction", a.Direction, b.Direction);
        Same("layout", a.Layout, b.Layout);
        Same("hidden_size", a.HiddenSize, b.HiddenSize);
        Same("clip", a.Clip, b.Clip);
        Same("input_forget", a.InputForget, b.InputForget);
        Same("linear_before_reset", a.LinearBeforeReset, b.LinearBeforeReset);
        string Functions(RnnActivation[]? f) => f is null ? "the defaults" : string.Join(", ", f);
        Same("activations", Functions(a.Activations), Functions(b.Activations));
    }

    private static bool IsDefault(RecurrentKind kind, RnnActivation[] activations, int perDirection)
    {
        RnnActivation[] defaults = kind switch
        {
            RecurrentKind.Lstm => [RnnActivation.Sigmoid, RnnActivation.Tanh, RnnActivation.Tanh],
            RecurrentKind.Gru => [RnnActivation.Sigmoid, RnnActivation.Tanh],
            _ => [RnnActivation.Tanh],
        };
        return activations.Select((a, i) => a == defaults[i % perDirection]).All(x => x);
    }

    private static void AddLayer(Dictionary<string, float[]> tensors, RnnConfig config, RecurrentLayer layer, int k)
    {
        int h = layer.HiddenSize, gh = config.GateCount * h, input = layer.InputSize;
        GateOrder order = GateOrder.Onnx(config.Kind);
        for (int d = 0; d < layer.Directions; d++)
        {
            void Add(RecurrentParameterRole role, float[] data) => tensors[RecurrentParameterSchema.Name(role, k, d)] = data;
            Add(RecurrentParameterRole.InputWeights, order.ToPyTorch(layer.W.AsSpan(d * gh * input, gh * input), h * input)); // (G·H, I)
            Add(RecurrentParameterRole.RecurrentWeights, order.ToPyTorch(layer.R.AsSpan(d * gh * h, gh * h), h * h));         // (G·H, H)
            if (config.HasBias)
            {
                ReadOnlySpan<float> b = layer.B is { } bias ? bias.AsSpan(d * 2 * gh, 2 * gh) : new float[2 * gh];
                Add(RecurrentParameterRole.InputBias, order.ToPyTorch(b[..gh], h));                                           // (G·H)
                Add(RecurrentParameterRole.RecurrentBias, order.ToPyTorch(b[gh..], h));                                       // (G·H)
            }
            if (config.Peepholes)
            {
                ReadOnlySpan<float> p = layer.P is { } peep ? peep.AsSpan(d * 3 * h, 3 * h) : new float[3 * h];
                Add(RecurrentParameterRole.Peepholes, GateOrder.OnnxPeepholes.ToPyTorch(p, h));                               // (3, H)
            }
        }
    }

    private static (int[]?, int?) Lengths(string source, IReadOnlyList<RecurrentLayer> layers)
    {
        LengthsSource first = layers[0].Lengths;
        foreach (RecurrentLayer layer in layers.Skip(1))
        {
            bool same = (first, layer.Lengths) switch
            {
                (LengthsSource.None, LengthsSource.None) => true,
                (LengthsSource.Input a, LengthsSource.Input b) => a.Name == b.Name,
                (LengthsSource.Constant a, LengthsSource.Constant b) => a.Lengths.SequenceEqual(b.Lengths),
                _ => false,
            };
            if (!same)
                throw OnnxErrors.Disagree(source, layers[0].Node, layer.Node, "sequence_lens", Describe(first), Describe(layer.Lengths));
        }
        return first is LengthsSource.Constant c ? (c.Lengths, c.Lengths.Length) : (null, null);

        static string Describe(LengthsSource s) => s switch
        {
            LengthsSource.Input i => $"'{i.Name}'",
            LengthsSource.Constant c => $"[{string.Join(", ", c.Lengths)}]",
            _ => "none",
        };
    }

    /// <summary>Constant initial states of every layer as one (L·D, B, H) array; checks that input states cover the stack in order.</summary>
    private static (float[]?, int?) ConstantState(string source, IReadOnlyList<RecurrentLayer> layers, RnnConfig config, Func<RecurrentLayer, StateSource> of, string name)
    {
        StateSource[] sources = layers.Select(of).ToArray();
        int d = config.Directions, h = config.HiddenSize;
        if (sources.Any(s => s is StateSource.Input))
        {
            for (int k = 0; k < sources.Length; k++)
            {
                if (sources[k] is not StateSource.Input input || input.Name != ((StateSource.Input)sources.First(s => s is StateSource.Input)).Name)
                    throw OnnxErrors.Graph(source, $"the layers take {name} from different places ({OnnxErrors.Describe(layers[k].Node)} does not read the same graph input as the others); FastRnn sets the state of the whole stack at once");
                if (input.SlotStart != (long)k * d || (!input.HasStateAxis && sources.Length * d != 1))
                    throw OnnxErrors.Graph(source, $"{OnnxErrors.Describe(layers[k].Node)} (layer {k}) reads state slots {input.SlotStart}..{input.SlotStart + d - 1} of '{input.Name}' for {name}; FastRnn expects slots {k * d}..{k * d + d - 1}, layer-major as PyTorch stacks them");
            }
            return (null, null);
        }
        StateSource.Constant[] constants = sources.OfType<StateSource.Constant>().ToArray();
        if (constants.Length == 0)
            return (null, null);
        int batch = constants[0].Batch;
        if (constants.Any(c => c.Batch != batch))
            throw OnnxErrors.Graph(source, $"the layers' constant {name} have different batch sizes");
        var state = new float[config.NumLayers * d * batch * h];
        for (int k = 0; k < sources.Length; k++)
        {
            if (sources[k] is StateSource.Constant c)
                c.Values.CopyTo(state, k * d * batch * h);
        }
        return (state, batch);
    }

    private static OnnxGraphValue[] Inputs(string source, GraphProto graph, GraphTracer tracer, RnnConfig config)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var result = new List<OnnxGraphValue>();
        foreach (ValueInfoProto input in graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            if (!tracer.Bindings.TryGetValue(input.Name, out InputBinding? binding))
                throw OnnxErrors.Graph(source, $"graph input '{input.Name}' is not read by the recurrent layers as their sequence, states or lengths");
            OnnxAxis[] axes = binding.Axes.Select(a => a ?? OnnxAxis.One).ToArray();
            long[] declared = GraphTracer.DeclaredShape(input) ?? [];
            bool state = binding.Role is OnnxValueRole.Hidden or OnnxValueRole.Cell;
            int slots = config.NumLayers * config.Directions;
            int stateAxis = Array.IndexOf(axes, OnnxAxis.States);
            if (state && stateAxis >= 0 && declared[stateAxis] >= 0 && declared[stateAxis] != slots)
                throw OnnxErrors.Graph(source, $"graph input '{input.Name}' declares {declared[stateAxis]} state slots; the stack has L·D = {slots}");
            result.Add(new OnnxGraphValue(input.Name, binding.Role, axes)
            {
                IsInput = true,
                FirstState = 0,
                StateCount = state ? slots : 0,
                DeclaredShape = declared,
            });
        }
        return [.. result];
    }

    private static OnnxGraphValue[] Outputs(string source, GraphProto graph, GraphTracer tracer, RnnConfig config)
    {
        var result = new List<OnnxGraphValue>();
        foreach (ValueInfoProto output in graph.Output)
        {
            TracedValue? value = tracer.Value(output.Name);
            if (value is null)
                throw OnnxErrors.Graph(source, $"graph output '{output.Name}' is not defined by any node, initializer or input");
            if (value is not StreamValue { Source.Kind: not StreamKind.GraphInput } s)
                throw OnnxErrors.Graph(source, $"graph output '{output.Name}' is not computed by the recurrent layers");
            bool sequence = s.Source.Kind == StreamKind.Sequence;
            if (sequence && s.Source.Layer != config.NumLayers - 1)
                throw OnnxErrors.Graph(source, $"graph output '{output.Name}' is the output sequence of layer {s.Source.Layer}; FastRnn gives the top layer's ({config.NumLayers - 1}) only");
            var axes = new OnnxAxis[s.Axes.Length];
            for (int i = 0; i < axes.Length; i++)
            {
                AxisRole role = s.Axes[i].Role;
                bool fits = sequence ? role is not (AxisRole.Open or AxisRole.Slots) : role is AxisRole.Slots or AxisRole.Batch or AxisRole.Hidden or AxisRole.One;
                if (!fits)
                    throw OnnxErrors.Graph(source, $"graph output '{output.Name}' has an axis FastRnn cannot fill ({role})");
                axes[i] = GraphTracer.Public(role);
            }
            bool complete = sequence
                ? axes.Count(a => a == OnnxAxis.Time) == 1 && axes.Count(a => a == OnnxAxis.Batch) == 1
                  && (axes.Count(a => a == OnnxAxis.Features) == 1 || (axes.Count(a => a == OnnxAxis.Hidden) == 1 && (config.Directions == 1 || axes.Contains(OnnxAxis.Directions))))
                : axes.Count(a => a == OnnxAxis.Batch) == 1 && axes.Count(a => a == OnnxAxis.Hidden) == 1 && (axes.Contains(OnnxAxis.States) || s.SlotCount == 1);
            if (!complete)
                throw OnnxErrors.Graph(source, $"graph output '{output.Name}' has axes ({string.Join(", ", axes)}), which do not cover a whole {(sequence ? "sequence" : "state")}");
            result.Add(new OnnxGraphValue(output.Name, s.Source.Kind switch
            {
                StreamKind.Sequence => OnnxValueRole.Sequence,
                StreamKind.Hidden => OnnxValueRole.Hidden,
                _ => OnnxValueRole.Cell,
            }, axes)
            {
                FirstState = sequence ? 0 : s.SlotStart,
                StateCount = sequence ? 0 : s.SlotCount,
                DeclaredShape = GraphTracer.DeclaredShape(output) ?? [],
            });
        }
        return [.. result];
    }
}
