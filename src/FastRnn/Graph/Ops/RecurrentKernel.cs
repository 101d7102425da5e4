namespace FastRnn.Graph.Ops;

/// <summary>
/// An LSTM, GRU or RNN node (one layer, one or two directions) run by FastRnn's own cells: the node becomes a
/// one-layer <see cref="RnnModel"/>, and every session an <see cref="RnnSession"/> of it. Layouts are ONNX's
/// (layout 0): x (T, B, I), y (T, D, B, H), states (D, B, H), which for one direction are the session's own.
/// </summary>
internal sealed class RecurrentKernel : GraphKernel
{
    private readonly RnnModel _model;
    private readonly int _steps, _batch, _hidden, _directions;
    private readonly float[] _zeros; // (D, B, H): the state an absent h0 or c0 stands for

    public RecurrentKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)];
        GraphAttributes a = node.Attributes;
        long hidden = a.Int("hidden_size"), directions = a.Int("directions");
        RecurrentKind kind = node.Op switch { GraphOp.Lstm => RecurrentKind.Lstm, GraphOp.Gru => RecurrentKind.Gru, _ => RecurrentKind.Rnn };
        if (x.Rank != 3 || directions is not (1 or 2) || hidden is < 1 or > RnnConfig.MaxDimension)
            throw Fail($"reads x {x.ShapeText} with {directions} directions of {hidden}; expected x (T, B, I), 1 or 2 directions of 1..{RnnConfig.MaxDimension}");
        (_hidden, _directions) = ((int)hidden, (int)directions);
        (_steps, _batch) = (x.Shape[0], x.Shape[1]);
        bool hasBias = node.Input(5) >= 0 || node.Input(6) >= 0;
        RnnConfig config = new()
        {
            Kind = kind,
            InputSize = x.Shape[2],
            HiddenSize = _hidden,
            Bidirectional = _directions == 2,
            Reverse = a.Int("reverse") != 0,
            HasBias = hasBias,
            GruResetAfter = a.Int("gru_reset_after", 1) != 0,
            Nonlinearity = a.Int("relu") != 0 ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh,
            Clip = (float)a.Float("clip"),
        };
        int gates = config.GateCount * _hidden;
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        void Split(int input, string name, int perDirection)
        {
            if (input < 0)
                return;
            if (!graph.Constants.TryGetValue(input, out float[]? data) || data.Length != _directions * perDirection)
                throw Fail($"needs a constant {name} of {_directions} x {perDirection} floats; '{graph.Values[input].Name}' is {graph.Values[input].ShapeText}");
            for (int d = 0; d < _directions; d++)
                tensors[$"{name}_l0{(d == 1 ? "_reverse" : "")}"] = data.AsSpan(d * perDirection, perDirection).ToArray();
        }
        Split(In(3), "weight_ih", gates * config.InputSize);
        Split(In(4), "weight_hh", gates * _hidden);
        if (hasBias)
        {
            if (node.Input(5) < 0 || node.Input(6) < 0)
                throw Fail("has only one of bias_ih and bias_hh");
            Split(In(5), "bias_ih", gates);
            Split(In(6), "bias_hh", gates);
        }
        _model = RnnModel.FromPyTorch(config, tensors);

        int state = _directions * _batch * _hidden;
        _zeros = new float[state];
        CheckState(graph, node.Input(1), "h0");
        CheckState(graph, node.Input(2), "c0");
        if (kind != RecurrentKind.Lstm && node.Input(2) >= 0)
            throw Fail("has a cell state input; only an LSTM has one");
        CheckShape(graph, Out(0), [_steps, _directions, _batch, _hidden], "y");
        for (int i = 1; i < node.Outputs.Length; i++)
            CheckShape(graph, Out(i), [_directions, _batch, _hidden], i == 1 ? "y_h" : "y_c");
    }

    private void CheckState(GraphDefinition graph, int value, string name)
    {
        if (value >= 0)
            CheckShape(graph, value, [_directions, _batch, _hidden], name);
    }

    private void CheckShape(GraphDefinition graph, int value, int[] shape, string name)
    {
        if (!graph.Values[value].Shape.AsSpan().SequenceEqual(shape))
            throw Fail($"has {name} '{graph.Values[value].Name}' {graph.Values[value].ShapeText}; expected {Shapes.Text(shape)}");
    }

    public override int ScratchLength => _directions == 2 ? _steps * _batch * 2 * _hidden : 0;

    /// <summary>The per-session state and buffers of this node.</summary>
    public RnnSession CreateSession() => _model.CreateSession(_batch, _steps);

    public override void Run(GraphFrame frame, int index)
    {
        RnnSession session = frame.Recurrent[index]!;
        int h0 = Node.Input(1), c0 = Node.Input(2);
        bool lstm = Node.Op == GraphOp.Lstm;
        if (h0 < 0 && c0 < 0)
            session.Reset();
        else
            session.SetState(h0 >= 0 ? frame.In(h0) : _zeros, !lstm ? [] : c0 >= 0 ? frame.In(c0) : _zeros);

        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        if (_directions == 1)
        {
            session.Run(x, y); // (T, B, H) is (T, 1, B, H)
        }
        else
        {
            // FastRnn gives (T, B, D·H); ONNX wants (T, D, B, H).
            Span<float> both = frame.Scratch(index);
            session.Run(x, both);
            for (int t = 0; t < _steps; t++)
            {
                for (int d = 0; d < 2; d++)
                {
                    for (int b = 0; b < _batch; b++)
                        both.Slice(((t * _batch) + b) * 2 * _hidden + d * _hidden, _hidden).CopyTo(y.Slice(((t * 2 + d) * _batch + b) * _hidden, _hidden));
                }
            }
        }
        session.HiddenState.CopyTo(frame.Out(Out(1)));
        if (lstm)
            session.CellState.CopyTo(frame.Out(Out(2)));
    }

    public override string Describe()
        => $"{_model.Config.Kind} {_model.Config.InputSize}->{_hidden}{(_directions == 2 ? " bidirectional" : "")}, T {_steps}, B {_batch}";
}
