using System.Globalization;
using FastRnn.Layers;
using Onnx;

namespace FastRnn.Import;

/// <summary>LSTM, GRU and RNN nodes: attributes, weights, and where X, the initial states and the lengths come from.</summary>
internal sealed partial class GraphTracer
{
    private static readonly string[] CommonAttributes = ["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"];

    private TracedValue?[] Recurrent(NodeProto node, TracedValue?[] inputs)
    {
        RecurrentKind kind = node.OpType switch { "LSTM" => RecurrentKind.Lstm, "GRU" => RecurrentKind.Gru, _ => RecurrentKind.Rnn };
        string[] known = kind switch
        {
            RecurrentKind.Lstm => [.. CommonAttributes, "input_forget"],
            RecurrentKind.Gru => [.. CommonAttributes, "linear_before_reset"],
            _ => CommonAttributes,
        };
        if (_opset < 7)
            throw Fail(node, $"is from opset {_opset}; FastRnn reads the recurrent operators of opset 7 and later");
        var a = new OnnxAttributes(_source, node, known);
        string direction = a.String("direction") ?? "forward";
        if (direction is not ("forward" or "reverse" or "bidirectional"))
            throw OnnxErrors.Attribute(_source, node, "direction", $"\"{direction}\"", "\"forward\", \"reverse\" or \"bidirectional\"");
        int d = direction == "bidirectional" ? 2 : 1;
        int layout = (int)a.Choice("layout", 0, 0, 1);
        if (layout == 1 && _opset < 14)
            throw OnnxErrors.Attribute(_source, node, "layout", "1", $"0: layout exists from opset 14, the model is opset {_opset}");
        float clip = 0f;
        if (a.Float("clip") is { } c)
        {
            if (!(c > 0f) || float.IsInfinity(c))
                throw OnnxErrors.Attribute(_source, node, "clip", c.ToString(CultureInfo.InvariantCulture), "a positive finite threshold");
            clip = c;
        }
        bool inputForget = kind == RecurrentKind.Lstm && a.Choice("input_forget", 0, 0, 1) == 1;
        bool linearBeforeReset = kind == RecurrentKind.Gru && a.Choice("linear_before_reset", 0, 0, 1) == 1;
        RnnActivation[]? activations = OnnxActivations.Read(_source, node, a, kind, d);

        int gates = kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };
        ConstTensor w = Weight(node, inputs, 1, "W");
        ConstTensor r = Weight(node, inputs, 2, "R");
        if (w.Shape.Length != 3 || w.Shape[0] != d || w.Shape[1] % gates != 0 || w.Shape[1] == 0 || w.Shape[2] < 1)
            throw Fail(node, $"has W of shape {w.ShapeText}; expected (D, {gates}·H, I) with D = {d} for direction \"{direction}\"");
        long hidden = w.Shape[1] / gates;
        if (a.Int("hidden_size") is { } hs && hs != hidden)
            throw OnnxErrors.Attribute(_source, node, "hidden_size", Text(hs), $"{hidden}, as W {w.ShapeText} implies");
        if (hidden > RnnConfig.MaxDimension || w.Shape[2] > RnnConfig.MaxDimension)
            throw Fail(node, $"has W of shape {w.ShapeText}; FastRnn's sizes go up to {RnnConfig.MaxDimension}");
        if (!r.HasShape(d, gates * hidden, hidden))
            throw Fail(node, $"has R of shape {r.ShapeText}; expected ({d}, {gates * hidden}, {hidden}) = (D, {gates}·H, H)");
        ConstTensor? b = OptionalWeight(node, inputs, 3, "B");
        if (b is not null && !b.HasShape(d, 2 * gates * hidden))
            throw Fail(node, $"has B of shape {b.ShapeText}; expected ({d}, {2 * gates * hidden}) = (D, 2·{gates}·H)");
        ConstTensor? p = kind == RecurrentKind.Lstm ? OptionalWeight(node, inputs, 7, "P") : null;
        if (p is not null && !p.HasShape(d, 3 * hidden))
            throw Fail(node, $"has P of shape {p.ShapeText}; expected ({d}, {3 * hidden}) = (D, 3·H)");
        int expectedInputs = kind == RecurrentKind.Lstm ? 8 : 6;
        if (inputs.Length > expectedInputs)
            throw Fail(node, $"has {inputs.Length} inputs; {node.OpType} takes at most {expectedInputs}");

        int layer = _layers.Count;
        StreamValue x = SequenceInput(node, inputs.ElementAtOrDefault(0), layer, layout, (int)w.Shape[2], d);
        var recurrent = new RecurrentLayer
        {
            Node = node,
            Kind = kind,
            Direction = direction,
            Layout = layout,
            HiddenSize = (int)hidden,
            InputSize = (int)w.Shape[2],
            Clip = clip,
            Activations = activations,
            InputForget = inputForget,
            LinearBeforeReset = linearBeforeReset,
            W = w.Floats!,
            R = r.Floats!,
            B = b?.Floats,
            P = p?.Floats,
            Lengths = Lengths(node, inputs.ElementAtOrDefault(4)),
            InitialHidden = State(node, inputs.ElementAtOrDefault(5), "initial_h", OnnxValueRole.Hidden, layer, layout, d, (int)hidden),
            InitialCell = kind == RecurrentKind.Lstm
                ? State(node, inputs.ElementAtOrDefault(6), "initial_c", OnnxValueRole.Cell, layer, layout, d, (int)hidden)
                : new StateSource.Zero(),
        };
        _layers.Add(recurrent);

        // Outputs: Y (T, D, B, H) or (B, T, D, H); Y_h and Y_c (D, B, H) or (B, D, H). Time and batch keep the
        // lengths X declares, so a Reshape to fixed sizes (a static export) can be followed.
        StreamAxis time = x.Axes[layout == 0 ? 0 : 1], batch = x.Axes[layout == 0 ? 1 : 0];
        time = new StreamAxis(AxisRole.Time, time.Size);
        batch = new StreamAxis(AxisRole.Batch, batch.Size);
        var dirs = new StreamAxis(AxisRole.Directions, d);
        var units = new StreamAxis(AxisRole.Hidden, hidden);
        var slots = new StreamAxis(AxisRole.Slots, d);
        StreamAxis[] y = layout == 0 ? [time, dirs, batch, units] : [batch, time, dirs, units];
        StreamAxis[] state = layout == 0 ? [slots, batch, units] : [batch, slots, units];
        string name = node.Output.FirstOrDefault() ?? "";
        return
        [
            new StreamValue(new StreamSource(StreamKind.Sequence, name, layer), y),
            new StreamValue(new StreamSource(StreamKind.Hidden, name, layer), state, layer * d, d),
            kind == RecurrentKind.Lstm ? new StreamValue(new StreamSource(StreamKind.Cell, name, layer), state, layer * d, d) : null,
        ];
    }

    private ConstTensor Weight(NodeProto node, TracedValue?[] inputs, int index, string name)
        => OptionalWeight(node, inputs, index, name) ?? throw Fail(node, $"lacks its {name} input");

    private ConstTensor? OptionalWeight(NodeProto node, TracedValue?[] inputs, int index, string name)
    {
        switch (inputs.ElementAtOrDefault(index))
        {
            case null:
                return null;
            case ConstValue { Tensor: { IsFloat: true } t }:
                return t;
            case ConstValue:
                throw Fail(node, $"has an integer {name}");
            default:
                throw Fail(node, $"takes {name} ('{node.Input[index]}') from a graph input or another node; FastRnn needs weights stored in the model (initializers)");
        }
    }

    /// <summary>
    /// X: for the first layer a graph input (whose axes it now names), for layer k the previous layer's Y with its
    /// directions merged into the features (or squeezed away when there is one).
    /// </summary>
    private StreamValue SequenceInput(NodeProto node, TracedValue? value, int layer, int layout, int inputSize, int directions)
    {
        AxisRole[] expected = layout == 0 ? [AxisRole.Time, AxisRole.Batch, AxisRole.Features] : [AxisRole.Batch, AxisRole.Time, AxisRole.Features];
        if (value is not StreamValue x || x.Axes.Length != 3)
            throw Fail(node, value is StreamValue s ? $"reads X of rank {s.Axes.Length}; expected 3" : "reads X from a constant; FastRnn needs the input sequence to be a graph input");
        if (layer == 0)
        {
            if (x.Source.Kind != StreamKind.GraphInput)
                throw Fail(node, "reads X from a recurrent node's state output");
            if (x.Axes[2].Size >= 0 && x.Axes[2].Size != inputSize)
                throw Fail(node, $"reads X with {x.Axes[2].Size} features; W has {inputSize}");
            Bind(node, x, OnnxValueRole.Sequence, expected.Select(Public).ToArray());
            return x;
        }
        RecurrentLayer previous = _layers[layer - 1];
        if (x.Source.Kind != StreamKind.Sequence || x.Source.Layer != layer - 1)
        {
            throw Fail(node, x.Source.Kind == StreamKind.GraphInput
                ? $"reads a graph input, but is the stack's layer {layer}: FastRnn imports one chain of recurrent nodes, each reading the previous one's Y"
                : $"reads X from {(x.Source.Kind == StreamKind.Sequence ? $"layer {x.Source.Layer}'s Y" : "a state output")}, not from the Y of layer {layer - 1} ({OnnxErrors.Describe(previous.Node)})");
        }
        for (int i = 0; i < 3; i++)
        {
            AxisRole role = x.Axes[i].Role;
            bool ok = expected[i] == AxisRole.Features
                ? role == AxisRole.Features || (role == AxisRole.Hidden && previous.Directions == 1)
                : role == expected[i];
            if (!ok)
            {
                throw Fail(node, $"reads the previous layer's Y with axes ({string.Join(", ", x.Axes.Select(Describe))}); layout {layout} needs "
                    + $"({string.Join(", ", expected.Select(e => Describe(new StreamAxis(e, 0))))})");
            }
        }
        if (inputSize != previous.Directions * previous.HiddenSize)
            throw Fail(node, $"has W with {inputSize} inputs; the previous layer gives D·H = {previous.Directions * previous.HiddenSize}");
        return x;
    }

    private LengthsSource Lengths(NodeProto node, TracedValue? value)
    {
        switch (value)
        {
            case null:
                return new LengthsSource.None();
            case ConstValue { Tensor: var t } when !t.IsFloat && t.Shape.Length == 1:
            {
                long[] lengths = t.AsInts();
                if (lengths.Any(l => l < 0 || l > int.MaxValue))
                    throw Fail(node, $"has sequence_lens [{string.Join(", ", lengths)}]; lengths must be between 0 and {int.MaxValue}");
                return new LengthsSource.Constant(lengths.Select(l => (int)l).ToArray());
            }
            case StreamValue { Source.Kind: StreamKind.GraphInput, Axes.Length: 1 } s:
                Bind(node, s, OnnxValueRole.SequenceLengths, [OnnxAxis.Batch]);
                return new LengthsSource.Input(s.Source.Name);
            default:
                throw Fail(node, "has a sequence_lens that is neither a graph input nor a constant vector of integers");
        }
    }

    /// <summary>initial_h or initial_c: absent or zeros, a constant, or (a slice of) a graph input.</summary>
    private StateSource State(NodeProto node, TracedValue? value, string name, OnnxValueRole role, int layer, int layout, int directions, int hidden)
    {
        switch (value)
        {
            case null or ZerosValue:
                return new StateSource.Zero();
            case ConstValue { Tensor: var t }:
            {
                long batch = t.Shape.Length == 3 ? t.Shape[layout == 0 ? 1 : 0] : -1;
                long[] expected = layout == 0 ? [directions, batch, hidden] : [batch, directions, hidden];
                if (!t.IsFloat || batch < 1 || !t.HasShape(expected))
                    throw Fail(node, $"has {name} of shape {t.ShapeText}; expected {(layout == 0 ? "(D, B, H)" : "(B, D, H)")} with D = {directions}, H = {hidden}");
                float[] values = t.Floats!;
                if (layout == 1)
                {
                    // (B, D, H) to FastRnn's (D, B, H).
                    values = new float[values.Length];
                    for (int bi = 0; bi < batch; bi++)
                    {
                        for (int di = 0; di < directions; di++)
                            t.Floats.AsSpan((int)((bi * directions + di) * hidden), hidden).CopyTo(values.AsSpan((int)((di * batch + bi) * hidden), hidden));
                    }
                }
                return new StateSource.Constant(values, (int)batch);
            }
            case StreamValue { Source.Kind: StreamKind.GraphInput } s when s.Axes.Length == 3:
            {
                int slotAxis = layout == 0 ? 0 : 1;
                StreamAxis slot = s.Axes[slotAxis];
                OnnxAxis[] roles = layout == 0 ? [OnnxAxis.States, OnnxAxis.Batch, OnnxAxis.Hidden] : [OnnxAxis.Batch, OnnxAxis.States, OnnxAxis.Hidden];
                bool hasStateAxis = slot.Role == AxisRole.Open;
                if (!hasStateAxis && !(slot.Role == AxisRole.One && directions == 1))
                    throw Fail(node, $"has {name} whose direction axis is not an axis of a graph input");
                if (hasStateAxis && slot.SliceCount >= 0 && slot.SliceCount != directions)
                    throw Fail(node, $"takes {slot.SliceCount} state slots for {name}; it has {directions} direction(s)");
                if (slot.Size >= 0 && slot.Size != directions)
                    throw Fail(node, $"has {name} with {slot.Size} state slots; it has {directions} direction(s)");
                Bind(node, s, role, roles);
                return new StateSource.Input(s.Source.Name, hasStateAxis ? slot.SliceStart : layer, hasStateAxis);
            }
            case StreamValue { Source.Kind: StreamKind.GraphInput } s:
                throw Fail(node, $"reads {name} of rank {s.Axes.Length}; expected 3");
            default:
                throw Fail(node, $"takes {name} from another recurrent node's output; FastRnn imports one stack whose initial states are graph inputs, initializers or zeros");
        }
    }

    /// <summary>Names the axes of the graph input behind <paramref name="stream"/>, checking any earlier use agrees.</summary>
    private void Bind(NodeProto node, StreamValue stream, OnnxValueRole role, OnnxAxis[] roles)
    {
        string name = stream.Source.Name;
        int rank = _graph.Input.First(i => i.Name == name) is { } info ? DeclaredShape(info)!.Length : stream.Axes.Length;
        if (!_bindings.TryGetValue(name, out InputBinding? binding))
            _bindings[name] = binding = new InputBinding(name, role, rank);
        else if (binding.Role != role)
            throw Fail(node, $"uses graph input '{name}' as {Word(role)}; another node uses it as {Word(binding.Role)}");
        for (int i = 0; i < roles.Length; i++)
        {
            StreamAxis a = stream.Axes[i];
            if (a.Role == AxisRole.One)
                continue;
            if (a.Role != AxisRole.Open || (roles[i] != OnnxAxis.States && !a.IsWholeInputAxis))
                throw Fail(node, $"reads graph input '{name}' with its axis {i} cut or moved in a way FastRnn cannot follow");
            if (binding.Axes[a.InputAxis] is { } earlier && earlier != roles[i])
                throw Fail(node, $"reads axis {a.InputAxis} of graph input '{name}' as {roles[i]}; another node reads it as {earlier}");
            binding.Axes[a.InputAxis] = roles[i];
        }
    }

    /// <summary>The public name of an axis role.</summary>
    internal static OnnxAxis Public(AxisRole role) => role switch
    {
        AxisRole.Time => OnnxAxis.Time,
        AxisRole.Batch => OnnxAxis.Batch,
        AxisRole.Features => OnnxAxis.Features,
        AxisRole.Directions => OnnxAxis.Directions,
        AxisRole.Hidden => OnnxAxis.Hidden,
        AxisRole.Slots => OnnxAxis.States,
        _ => OnnxAxis.One,
    };

    private static string Word(OnnxValueRole role) => role switch
    {
        OnnxValueRole.Sequence => "the input sequence",
        OnnxValueRole.SequenceLengths => "sequence_lens",
        OnnxValueRole.Hidden => "initial_h",
        _ => "initial_c",
    };
}
