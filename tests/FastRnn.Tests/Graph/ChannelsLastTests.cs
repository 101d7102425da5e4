using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// Chains of convolutions whose intermediates the plan stores channels-last, (B, L, C) instead of ONNX's (B, C, L)
/// (<c>GraphLayout</c>): every path of the convolution reading and writing either layout, element-wise functions
/// between them, and a transpose reading one, against the plain double-precision reference layer by layer
/// (<see cref="GraphReference"/>), within the operator tests' 1e-5. Each case also asserts from the compiled plan that
/// the layout it is about was chosen, so that a planner that stopped choosing it would fail here rather than pass
/// untested.
/// </summary>
public class ChannelsLastTests
{
    private const double Tolerance = 1e-5;

    public sealed record Conv(int OutChannels, int Kernel, int Stride = 1, int PadBegin = 0, int PadEnd = 0, int Dilation = 1, int Groups = 1);

    public static TheoryData<string, int, int, int, Conv[], bool, string[]> Chains() => new()
    {
        // per tap (C, L) -> (L, C); depthwise (L, C) -> (L, C); per tap with two groups (L, C) -> (L, C); a transpose of a
        // batch of two reading (L, C) (not a view: the batch axis moves inside).
        { "keyword-spotter-like", 2, 40, 23, [new(32, 3, PadBegin: 1, PadEnd: 1), new(32, 3, PadBegin: 2, PadEnd: 2, Dilation: 2, Groups: 32), new(48, 3, Stride: 2, Groups: 2)], true,
            ["(C, L) -> (L, C)", "depthwise, L 23->23, (L, C) -> (L, C)", "g2 per tap, L 23->11, (L, C) -> (L, C)", "rows of"] },
        // the column buffer (one channel) writing (L, C); per tap reading it and ending in the graph's (C, L).
        { "stft-like", 1, 1, 70, [new(20, 8, Stride: 4), new(16, 3, PadBegin: 1, PadEnd: 2)], false,
            ["columns, L 70->16, (C, L) -> (L, C)", "per tap, L 16->17, (L, C) -> (C, L)"] },
        // depthwise first: (C, L) in from the graph, (L, C) out; depthwise last: (L, C) in, (C, L) out to the graph.
        { "depthwise-at-both-ends", 3, 24, 19, [new(24, 5, Stride: 2, PadBegin: 2, PadEnd: 1, Groups: 24), new(24, 3, PadBegin: 1, PadEnd: 1), new(24, 3, Stride: 3, Dilation: 2, PadBegin: 3, PadEnd: 0, Groups: 24)], false,
            ["depthwise, L 19->9, (C, L) -> (L, C)", "per tap, L 9->9, (L, C) -> (L, C)", "depthwise, L 9->3, (L, C) -> (C, L)"] },
        // padding wider than the taps reach, so that no tap covers every output position: each row starts as the bias,
        // depthwise (L, C) -> (L, C) and per tap (L, C) -> (C, L).
        { "no-full-tap", 2, 16, 5, [new(16, 3, PadBegin: 1, PadEnd: 1), new(16, 3, PadBegin: 3, PadEnd: 3, Groups: 16), new(16, 3, PadBegin: 3, PadEnd: 3)], false,
            ["depthwise, L 5->9, (L, C) -> (L, C)", "per tap, L 9->13, (L, C) -> (C, L)"] },
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void ConvolutionChains_StoredChannelsLast_MatchTheReference(string name, int batch, int channels, int length, Conv[] layers, bool transposeAtEnd, string[] planned)
    {
        var g = new TestGraph(name.Length * 97 + channels);
        int value = g.Input("x", batch, channels, length);
        float[] input = g.Random(batch * channels * length);
        float[] reference = input;
        int c = channels, l = length;
        foreach (Conv layer in layers)
        {
            int w = g.Constant($"w{value}", [layer.OutChannels, c / layer.Groups, layer.Kernel], 0.5), b = g.Constant($"b{value}", [layer.OutChannels]);
            int outLength = (l + layer.PadBegin + layer.PadEnd - layer.Dilation * (layer.Kernel - 1) - 1) / layer.Stride + 1;
            var a = ConvAttributes(layer);
            value = g.Node(GraphOp.Conv1d, [value, w, b], [batch, layer.OutChannels, outLength], a);
            double[] y = GraphReference.Conv1d(reference, batch, c, l, g.Data(w), layer.OutChannels, layer.Kernel, g.Data(b),
                layer.Stride, layer.PadBegin, layer.PadEnd, layer.Dilation, layer.Groups);
            (c, l) = (layer.OutChannels, outLength);
            if (layer != layers[^1] || transposeAtEnd)
            {
                value = g.Node(GraphOp.Relu, [value], [batch, c, l]);
                y = [.. y.Select(v => Math.Max(v, 0))];
            }
            reference = [.. y.Select(v => (float)v)];
        }
        double[] expected = [.. reference.Select(v => (double)v)];
        if (transposeAtEnd)
        {
            value = g.Node(GraphOp.Transpose, [value], [l, batch, c], TestGraph.Attributes().Set("perm", new long[] { 2, 0, 1 }));
            expected = GraphReference.Transpose(reference, [batch, c, l], [2, 0, 1]);
        }
        GraphModel model = g.Build(value);

        string plan = string.Join("\n", model.DescribePlan());
        foreach (string expectedLine in planned)
            Assert.True(plan.Contains(expectedLine, StringComparison.Ordinal), $"{name}: the plan has no \"{expectedLine}\":\n{plan}");

        using GraphSession session = model.CreateSession();
        session.SetInput(0, input);
        session.Run();
        ReadOnlySpan<float> actual = session.Output(0);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{name}[{i}]: {actual[i]} vs reference {expected[i]}");
    }

    [Fact]
    public void AValueWithAReaderThatNeedsTheOnnxLayout_KeepsIt()
    {
        // conv -> relu -> (conv, and a reduce over the channels): the reduce reads (C, L), so the relu's output, and so
        // the first convolution's, stay in the ONNX layout.
        var g = new TestGraph(3);
        int x = g.Input("x", 1, 16, 12);
        int w = g.Constant("w", [16, 16, 3]), b = g.Constant("b", [16]);
        int conv = g.Node(GraphOp.Conv1d, [x, w, b], [1, 16, 10], ConvAttributes(new Conv(16, 3)));
        int relu = g.Node(GraphOp.Relu, [conv], [1, 16, 10]);
        int w2 = g.Constant("w2", [16, 16, 3]);
        int second = g.Node(GraphOp.Conv1d, [relu, w2], [1, 16, 8], ConvAttributes(new Conv(16, 3)));
        int mean = g.Node(GraphOp.ReduceMean, [relu], [1, 1, 10], TestGraph.Attributes().Set("axes", new long[] { 1 }).Set("keepdims", 1L));
        GraphModel model = g.Build(second, mean);
        Assert.DoesNotContain(model.DescribePlan(), line => line.Contains("(L, C)", StringComparison.Ordinal));
    }

    private static GraphAttributes ConvAttributes(Conv layer)
        => TestGraph.Attributes().Set("stride", (long)layer.Stride).Set("dilation", (long)layer.Dilation).Set("groups", (long)layer.Groups)
            .Set("pads", new long[] { layer.PadBegin, layer.PadEnd });
}
