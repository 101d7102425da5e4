using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// Each graph operator against its plain double-precision twin (<see cref="GraphReference"/>) on seeded inputs, over
/// awkward sizes (odd lengths, vector tails, broadcasts on every axis), within 1e-5 relative to the values' scale.
/// </summary>
public class GraphOpTests
{
    private const double Tolerance = 1e-5;

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]} vs reference {expected[i]}");
        }
    }

    /// <summary>Runs a one-input graph on <paramref name="x"/> and returns its only output.</summary>
    private static float[] Run(GraphModel model, float[] x)
    {
        using GraphSession session = model.CreateSession();
        session.SetInput(0, x);
        session.Run();
        return session.Output(0).ToArray();
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(17, 33, 65)]
    [InlineData(4, 100, 257)]
    public void Linear_MatchesReference(int rows, int k, int n)
    {
        var g = new TestGraph(rows * 1000 + k + n);
        int x = g.Input("x", rows, k);
        int w = g.Constant("w", [n, k]), b = g.Constant("b", [n]);
        GraphModel model = g.Build(g.Node(GraphOp.Linear, [x, w, b], [rows, n]));
        float[] input = g.Random(rows * k);
        AssertClose(GraphReference.Linear(input, g.Data(w), g.Data(b), n, k), Run(model, input), "linear");
    }

    [Theory]
    [InlineData(1, 1, 9, 1, 3, 1, 0, 0, 1, 1)]
    [InlineData(2, 4, 17, 6, 3, 1, 1, 1, 1, 1)]
    [InlineData(1, 6, 20, 6, 3, 2, 2, 1, 2, 3)]
    [InlineData(1, 8, 33, 8, 5, 3, 0, 4, 2, 8)]
    [InlineData(3, 5, 21, 5, 3, 2, 2, 1, 3, 5)]
    [InlineData(2, 4, 12, 8, 3, 1, 1, 1, 1, 4)]
    [InlineData(1, 1, 640, 258, 256, 128, 0, 0, 1, 1)]
    [InlineData(2, 6, 15, 6, 3, 1, 2, 2, 2, 6)] // depthwise, stride 1, padded and dilated: the vectorised taps
    // 16 or more channels per group: each tap its own product over the transposed input.
    [InlineData(2, 40, 50, 32, 3, 1, 1, 1, 1, 1)]
    [InlineData(1, 32, 31, 48, 3, 2, 0, 0, 1, 1)]
    [InlineData(1, 34, 29, 10, 5, 3, 4, 2, 2, 2)]
    [InlineData(2, 16, 7, 33, 4, 1, 3, 3, 3, 1)]
    public void Conv1d_MatchesReference_WithStridePaddingDilationGroups(int batch, int channels, int length, int outChannels, int kernel, int stride, int padBegin, int padEnd, int dilation, int groups)
    {
        var g = new TestGraph(channels * 31 + length + kernel);
        int x = g.Input("x", batch, channels, length);
        int w = g.Constant("w", [outChannels, channels / groups, kernel]), b = g.Constant("b", [outChannels]);
        int outLength = (length + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;
        var a = TestGraph.Attributes().Set("stride", (long)stride).Set("dilation", (long)dilation).Set("groups", (long)groups).Set("pads", new long[] { padBegin, padEnd });
        GraphModel model = g.Build(g.Node(GraphOp.Conv1d, [x, w, b], [batch, outChannels, outLength], a));
        float[] input = g.Random(batch * channels * length);
        double[] expected = GraphReference.Conv1d(input, batch, channels, length, g.Data(w), outChannels, kernel, g.Data(b), stride, padBegin, padEnd, dilation, groups);
        AssertClose(expected, Run(model, input), "conv1d");
    }

    [Fact]
    public void Embedding_PicksRows_AndRejectsAnOutOfRangeId()
    {
        var g = new TestGraph(5);
        int ids = g.IntInput("ids", 2, 3);
        int table = g.Constant("table", [7, 4]);
        int y = g.Definition.AddValue("y", GraphElementType.Float32, [2, 3, 4]);
        g.Definition.Nodes.Add(new GraphNode(GraphOp.Embedding, "emb", [table, ids], [y], GraphAttributes.Empty));
        GraphModel model = g.Build(y);
        using GraphSession session = model.CreateSession();
        long[] tokens = [0, 6, 3, 3, 1, 5];
        session.SetInput("ids", tokens);
        session.Run();
        double[] expected = tokens.SelectMany(t => g.Data(table).Skip((int)t * 4).Take(4).Select(v => (double)v)).ToArray();
        AssertClose(expected, session.Output("y"), "embedding");

        session.SetInput("ids", new long[] { 0, 1, 7, 2, 3, 4 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Run());
        Assert.Contains("index 7 is outside 0..6", e.Message);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("leaky_relu")]
    [InlineData("softplus")]
    [InlineData("sqrt")]
    [InlineData("abs")]
    [InlineData("exp")]
    [InlineData("log")]
    [InlineData("neg")]
    [InlineData("erf")]
    [InlineData("gelu")]
    public void Unary_MatchesReference_OnEveryLengthUpTo67(string name)
    {
        GraphOp op = Enum.GetValues<GraphOp>().Single(o => GraphOps.Of(o).Name == name);
        bool positive = name is "sqrt" or "log";
        for (int length = 1; length <= 67; length += 3)
        {
            var g = new TestGraph(length);
            int x = g.Input("x", length);
            var a = TestGraph.Attributes();
            if (op == GraphOp.LeakyRelu)
                a.Set("alpha", 0.1);
            if (op == GraphOp.Gelu)
                a.Set("tanh_approximation", 0L);
            GraphModel model = g.Build(g.Node(op, [x], [length], a));
            float[] input = g.Random(length, 2).Select(v => positive ? Math.Abs(v) + 0.01f : v).ToArray();
            AssertClose(input.Select(v => GraphReference.Unary(name, v, 0.1)).ToArray(), Run(model, input), name);
        }
    }

    public static IEnumerable<object[]> Broadcasts() =>
    [
        [new[] { 5 }, new[] { 5 }],
        [new[] { 3, 17 }, new[] { 17 }],
        [new[] { 3, 17 }, new[] { 3, 1 }],
        [new[] { 1 }, new[] { 4, 9 }],
        [new[] { 2, 1, 7 }, new[] { 1, 3, 7 }],
        [new[] { 2, 3, 1 }, new[] { 1, 1, 5 }],
        [new[] { 4, 1, 3, 2 }, new[] { 5, 1, 1 }],
    ];

    [Theory]
    [MemberData(nameof(Broadcasts))]
    public void Binary_MatchesReference_WithBroadcasting(int[] shapeA, int[] shapeB)
    {
        foreach (string name in new[] { "add", "sub", "mul", "div", "pow" })
        {
            GraphOp op = Enum.GetValues<GraphOp>().Single(o => GraphOps.Of(o).Name == name);
            var g = new TestGraph(shapeA.Sum() * 7 + shapeB.Sum());
            int a = g.Input("a", shapeA);
            int b = g.Constant("b", shapeB);
            int[] shape = FastRnn.Graph.Ops.Shapes.Broadcast(shapeA, shapeB)!;
            GraphModel model = g.Build(g.Node(op, [a, b], shape));
            float[] x = g.Random(GraphReference.Count(shapeA)).Select(v => name == "pow" ? Math.Abs(v) + 0.1f : v).ToArray();
            if (name == "div")
                g.Data(b).AsSpan().Fill(0.75f);
            AssertClose(GraphReference.Broadcast(x, shapeA, g.Data(b), shapeB, shape, (p, q) => GraphReference.Binary(name, p, q)), Run(model, x), name);
        }
    }

    [Fact]
    public void Pow_BySquare_IsExactlyTheSquare()
    {
        var g = new TestGraph(2);
        int x = g.Input("x", 19);
        int two = g.Definition.AddConstant("two", [], [2f]);
        GraphModel model = g.Build(g.Node(GraphOp.Pow, [x, two], [19]));
        float[] input = g.Random(19, 3);
        Assert.Equal(input.Select(v => v * v).ToArray(), Run(model, input));
    }

    [Theory]
    [InlineData(new[] { 3, 10 }, 1, false)]
    [InlineData(new[] { 3, 10 }, 1, true)]
    [InlineData(new[] { 2, 5, 4 }, 1, false)]
    [InlineData(new[] { 2, 5, 4 }, 0, true)]
    public void Softmax_MatchesReference_AlongAnyAxis(int[] shape, int axis, bool log)
    {
        var g = new TestGraph(shape.Sum() + axis);
        int x = g.Input("x", shape);
        GraphModel model = g.Build(g.Node(log ? GraphOp.LogSoftmax : GraphOp.Softmax, [x], shape, TestGraph.Attributes().Set("axis", (long)axis)));
        float[] input = g.Random(GraphReference.Count(shape), 4);
        AssertClose(GraphReference.Softmax(input, shape, axis, log), Run(model, input), "softmax");
    }

    [Fact]
    public void LayerNorm_MatchesReference()
    {
        var g = new TestGraph(9);
        int x = g.Input("x", 3, 2, 17);
        int scale = g.Constant("scale", [34]), bias = g.Constant("bias", [34]);
        GraphModel model = g.Build(g.Node(GraphOp.LayerNorm, [x, scale, bias], [3, 2, 17], TestGraph.Attributes().Set("axis", 1L).Set("epsilon", 1e-5)));
        float[] input = g.Random(102, 3);
        AssertClose(GraphReference.LayerNorm(input, 34, g.Data(scale), g.Data(bias), 1e-5), Run(model, input), "layer_norm");
    }

    [Theory]
    [InlineData("reduce_mean", new[] { 1 }, true)]
    [InlineData("reduce_sum", new[] { 2 }, false)]
    [InlineData("reduce_max", new[] { 1, 2 }, true)]
    [InlineData("reduce_mean", new[] { 0 }, false)]
    public void Reduce_MatchesReference(string name, int[] axes, bool keep)
    {
        int[] shape = [3, 5, 7];
        GraphOp op = Enum.GetValues<GraphOp>().Single(o => GraphOps.Of(o).Name == name);
        var g = new TestGraph(axes.Sum() + name.Length);
        int x = g.Input("x", shape);
        int[] outShape = keep ? shape.Select((d, k) => axes.Contains(k) ? 1 : d).ToArray() : shape.Where((_, k) => !axes.Contains(k)).ToArray();
        GraphModel model = g.Build(g.Node(op, [x], outShape, TestGraph.Attributes().Set("axes", axes.Select(a => (long)a).ToArray()).Set("keepdims", keep ? 1L : 0L)));
        float[] input = g.Random(105);
        AssertClose(GraphReference.Reduce(input, shape, axes, name[7..]), Run(model, input), name);
    }

    [Theory]
    [InlineData("constant", 0L)]
    [InlineData("reflect", 1L)]
    [InlineData("edge", 2L)]
    public void Pad_MatchesReference(string mode, long code)
    {
        int[] shape = [2, 3, 9];
        int[] pads = [0, 1, 3, 1, 2, 4];
        var g = new TestGraph((int)code);
        int x = g.Input("x", shape);
        int[] outShape = [3, 6, 16];
        GraphModel model = g.Build(g.Node(GraphOp.Pad, [x], outShape,
            TestGraph.Attributes().Set("pads", pads.Select(p => (long)p).ToArray()).Set("mode", code).Set("value", 0.5)));
        float[] input = g.Random(54);
        AssertClose(GraphReference.Pad(input, shape, pads, mode, 0.5), Run(model, input), "pad");
    }

    [Fact]
    public void SliceTransposeConcat_MatchReference()
    {
        int[] shape = [4, 5, 6];
        var g = new TestGraph(11);
        int x = g.Input("x", shape);
        int sliced = g.Node(GraphOp.Slice, [x], [2, 5, 3], TestGraph.Attributes().Set("starts", new long[] { 3, 0, 1 }).Set("steps", new long[] { -2, 1, 2 }));
        int transposed = g.Node(GraphOp.Transpose, [x], [6, 4, 5], TestGraph.Attributes().Set("perm", new long[] { 2, 0, 1 }));
        int other = g.Constant("c", [4, 2, 6]);
        int joined = g.Node(GraphOp.Concat, [x, other], [4, 7, 6], TestGraph.Attributes().Set("axis", 1L));
        GraphModel model = g.Build(sliced, transposed, joined);
        float[] input = g.Random(120);
        using GraphSession session = model.CreateSession();
        session.SetInput("x", input);
        session.Run();
        AssertClose(GraphReference.Slice(input, shape, [3, 0, 1], [-2, 1, 2], [2, 5, 3]), session.Output(0), "slice");
        AssertClose(GraphReference.Transpose(input, shape, [2, 0, 1]), session.Output(1), "transpose");
        var expected = new double[4 * 7 * 6];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 7; j++)
                for (int k = 0; k < 6; k++)
                    expected[(i * 7 + j) * 6 + k] = j < 5 ? input[(i * 5 + j) * 6 + k] : g.Data(other)[(i * 2 + j - 5) * 6 + k];
        }
        AssertClose(expected, session.Output(2), "concat");
    }

    [Fact]
    public void Reshape_IsAView_ThatLaterNodesReadInPlace()
    {
        var g = new TestGraph(3);
        int x = g.Input("x", 2, 6);
        int relu = g.Node(GraphOp.Relu, [x], [2, 6]);
        int view = g.Node(GraphOp.Reshape, [relu], [3, 4]);
        int y = g.Node(GraphOp.Neg, [view], [3, 4]);
        GraphModel model = g.Build(y);
        Assert.Equal(model.Plan.Locations[relu].Offset, model.Plan.Locations[view].Offset);
        float[] input = g.Random(12);
        AssertClose(input.Select(v => -(double)Math.Max(v, 0)).ToArray(), Run(model, input), "reshape");
    }

    [Fact]
    public void ContiguousSliceAndGather_AreViews_IntoTheirInput()
    {
        var g = new TestGraph(4);
        int x = g.Input("x", 1, 6, 4);
        int relu = g.Node(GraphOp.Relu, [x], [1, 6, 4]);
        int half = g.Node(GraphOp.Slice, [relu], [1, 3, 4], TestGraph.Attributes().Set("starts", new long[] { 0, 3, 0 }).Set("steps", new long[] { 1, 1, 1 }));
        int row = g.Node(GraphOp.Gather, [relu], [1, 1, 4], TestGraph.Attributes().Set("axis", 1L).Set("indices", new long[] { 2 }).Set("indices_shape", new long[] { 1 }));
        int a = g.Node(GraphOp.Neg, [half], [1, 3, 4]);
        int b = g.Node(GraphOp.Neg, [row], [1, 1, 4]);
        GraphModel model = g.Build(a, b);
        Assert.Equal(model.Plan.Locations[relu].Offset + 12, model.Plan.Locations[half].Offset);
        Assert.Equal(model.Plan.Locations[relu].Offset + 8, model.Plan.Locations[row].Offset);
        Assert.True(model.Kernels.Count(k => k.IsView) == 2);

        float[] input = g.Random(24);
        using GraphSession session = model.CreateSession();
        session.SetInput("x", input);
        session.Run();
        AssertClose(input.Skip(12).Select(v => -(double)Math.Max(v, 0)).ToArray(), session.Output(0), "slice view");
        AssertClose(input.Skip(8).Take(4).Select(v => -(double)Math.Max(v, 0)).ToArray(), session.Output(1), "gather view");
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 2)]
    [InlineData("rnn", 1)]
    public void Recurrent_MatchesTheScalarReference_InOnnxLayouts(string name, int directions)
    {
        GraphOp op = Enum.GetValues<GraphOp>().Single(o => GraphOps.Of(o).Name == name);
        const int T = 5, B = 3, I = 4, H = 6;
        var kind = op switch { GraphOp.Lstm => RecurrentKind.Lstm, GraphOp.Gru => RecurrentKind.Gru, _ => RecurrentKind.Rnn };
        var config = new RnnConfig { Kind = kind, InputSize = I, HiddenSize = H, Bidirectional = directions == 2 };
        int gh = config.GateCount * H;
        var g = new TestGraph(directions * 10 + (int)op);
        int x = g.Input("x", T, B, I);
        int h0 = g.Input("h0", directions, B, H);
        int wih = g.Constant("wih", [directions, gh, I], 0.5), whh = g.Constant("whh", [directions, gh, H], 0.5);
        int bih = g.Constant("bih", [directions, gh], 0.5), bhh = g.Constant("bhh", [directions, gh], 0.5);
        int[] outputs = Enumerable.Range(0, kind == RecurrentKind.Lstm ? 3 : 2)
            .Select(k => g.Definition.AddValue($"out{k}", GraphElementType.Float32, k == 0 ? [T, directions, B, H] : [directions, B, H])).ToArray();
        var a = TestGraph.Attributes().Set("hidden_size", (long)H).Set("directions", (long)directions).Set("reverse", 0L);
        g.Definition.Nodes.Add(new GraphNode(op, "rnn", [x, h0, -1, wih, whh, bih, bhh], outputs, a));
        GraphModel model = g.Build(outputs);

        float[] input = g.Random(T * B * I), state = g.Random(directions * B * H);
        var parameters = new Dictionary<string, float[]>();
        for (int d = 0; d < directions; d++)
        {
            string suffix = d == 1 ? "_l0_reverse" : "_l0";
            parameters["weight_ih" + suffix] = g.Data(wih).AsSpan(d * gh * I, gh * I).ToArray();
            parameters["weight_hh" + suffix] = g.Data(whh).AsSpan(d * gh * H, gh * H).ToArray();
            parameters["bias_ih" + suffix] = g.Data(bih).AsSpan(d * gh, gh).ToArray();
            parameters["bias_hh" + suffix] = g.Data(bhh).AsSpan(d * gh, gh).ToArray();
        }
        (double[] y, double[] hn, double[] cn) = Reference.ReferenceRnn.Run(config, parameters, input, T, B, state, kind == RecurrentKind.Lstm ? new float[directions * B * H] : null);

        using GraphSession session = model.CreateSession();
        session.SetInput("x", input);
        session.SetInput("h0", state);
        session.Run();
        // The reference gives y (T, B, D·H); ONNX's Y is (T, D, B, H).
        var onnxY = new double[y.Length];
        for (int t = 0; t < T; t++)
            for (int d = 0; d < directions; d++)
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < H; j++)
                        onnxY[((t * directions + d) * B + b) * H + j] = y[(t * B + b) * directions * H + d * H + j];
        AssertClose(onnxY, session.Output(0), "y");
        AssertClose(hn, session.Output(1), "y_h");
        if (kind == RecurrentKind.Lstm)
            AssertClose(cn, session.Output(2), "y_c");
    }
}
