using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// Transposes of a convolution output stored channels-last that the plan turns into views (their rows lie in order in
/// the (B, L, C) storage), read on by a reshape view and an element-wise function, and a second convolution reading
/// the same value: against the double-precision reference within the operator tests' 1e-5.
/// </summary>
public class ChannelsLastViewTests
{
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(1, new long[] { 2, 0, 1 }, true)] // (L, B, C) with one batch item: the storage itself
    [InlineData(2, new long[] { 0, 2, 1 }, true)] // (B, L, C): the storage itself
    [InlineData(2, new long[] { 2, 0, 1 }, false)] // the batch axis moves inside: a copy
    public void ATransposeOfAChannelsLastValue_ReadByAViewAndAnotherConvolution_MatchesTheReference(int batch, long[] perm, bool view)
    {
        const int channels = 16, length = 12, kernel = 3;
        var g = new TestGraph(batch * 31 + (int)perm[0]);
        int x = g.Input("x", batch, channels, length);
        float[] input = g.Random(batch * channels * length);
        int w = g.Constant("w", [channels, channels, kernel], 0.5), b = g.Constant("b", [channels]);
        int outLength = length - kernel + 1;
        int conv = g.Node(GraphOp.Conv1d, [x, w, b], [batch, channels, outLength], Attributes());
        int[] convShape = [batch, channels, outLength];
        int[] transposedShape = [.. perm.Select(p => convShape[p])];
        int transposed = g.Node(GraphOp.Transpose, [conv], transposedShape, TestGraph.Attributes().Set("perm", perm));
        int flat = g.Node(GraphOp.Reshape, [transposed], [transposedShape[0] * transposedShape[1], channels]);
        int tanh = g.Node(GraphOp.Tanh, [flat], [transposedShape[0] * transposedShape[1], channels]);
        int w2 = g.Constant("w2", [channels, channels, kernel], 0.5);
        int second = g.Node(GraphOp.Conv1d, [conv, w2], [batch, channels, outLength - kernel + 1], Attributes());
        GraphModel model = g.Build(tanh, second);
        string plan = string.Join("\n", model.DescribePlan());
        Assert.True(plan.Contains("(C, L) -> (L, C)", StringComparison.Ordinal), plan);
        Assert.Equal(view, plan.Contains("view at", StringComparison.Ordinal));

        double[] y = GraphReference.Conv1d(input, batch, channels, length, g.Data(w), channels, kernel, g.Data(b), 1, 0, 0, 1, 1);
        float[] yf = [.. y.Select(v => (float)v)];
        double[] expectedTanh = [.. GraphReference.Transpose(yf, convShape, [.. perm.Select(p => (int)p)]).Select(Math.Tanh)];
        double[] expectedSecond = GraphReference.Conv1d(yf, batch, channels, outLength, g.Data(w2), channels, kernel, null, 1, 0, 0, 1, 1);

        using GraphSession session = model.CreateSession();
        session.SetInput(0, input);
        session.Run();
        AssertClose(expectedTanh, session.Output(0), "tanh of the transpose");
        AssertClose(expectedSecond, session.Output(1), "second convolution");
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]} vs reference {expected[i]}");
    }

    private static GraphAttributes Attributes()
        => TestGraph.Attributes().Set("stride", 1L).Set("dilation", 1L).Set("groups", 1L).Set("pads", new long[] { 0, 0 });
}
