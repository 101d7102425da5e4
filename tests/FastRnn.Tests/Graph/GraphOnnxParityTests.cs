using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// The three acceptance models — a text classifier, a CRNN keyword spotter and a VAD shaped like Silero VAD v5 —
/// converted from ONNX and run call after call beside ONNX Runtime on the same seeded inputs; the VAD carries its
/// state in both — and op_zoo and layer_norm_opset17, the operators they do not use. Every output of every call agrees within 1e-5.
/// </summary>
public class GraphOnnxParityTests
{
    private const double Tolerance = 1e-5;
    private const int Calls = 1000;

    [Theory]
    [InlineData("text_classifier")]
    [InlineData("kws_crnn")]
    [InlineData("vad")]
    [InlineData("op_zoo")]
    [InlineData("layer_norm_opset17")]
    public void Run_MatchesOnnxRuntime_Over1000StreamedCalls(string name)
    {
        GraphModel model = GraphFixtures.Load(name);
        using GraphSession session = model.CreateSession();
        using var ort = new OrtStream(GraphFixtures.PathOf(name));
        var random = new Random(20261201 + name.Length);
        var carried = model.States.ToDictionary(s => s.Input, s => new float[model.Inputs.Single(i => i.Name == s.Input).Length]);
        double worst = 0;
        for (int call = 0; call < Calls; call++)
        {
            var feeds = new List<(string, long[], Array)>();
            foreach (GraphTensorInfo input in model.Inputs)
            {
                long[] shape = input.Shape.Select(d => (long)d).ToArray();
                if (carried.TryGetValue(input.Name, out float[]? state))
                {
                    feeds.Add((input.Name, shape, state.ToArray()));
                    continue; // the session carries its own copy
                }
                if (input.ElementType == GraphElementType.Int64)
                {
                    long[] ids = Enumerable.Range(0, input.Length).Select(_ => (long)random.Next(50)).ToArray();
                    session.SetInput(input.Name, ids);
                    feeds.Add((input.Name, shape, ids));
                }
                else
                {
                    float[] x = Enumerable.Range(0, input.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                    session.SetInput(input.Name, x);
                    feeds.Add((input.Name, shape, x));
                }
            }
            if (name == "vad")
                feeds.Add(("sr", [], new long[] { 16000 }));
            Dictionary<string, float[]> expected = ort.Run(feeds);
            session.Run();
            foreach (GraphTensorInfo output in model.Outputs)
            {
                ReadOnlySpan<float> actual = session.Output(output.Name);
                float[] want = expected[output.Name];
                Assert.Equal(want.Length, actual.Length);
                for (int i = 0; i < want.Length; i++)
                {
                    double error = Math.Abs(actual[i] - want[i]);
                    worst = Math.Max(worst, error);
                    if (!(error <= Tolerance))
                        Assert.Fail($"{name}, call {call}: output '{output.Name}'[{i}] = {actual[i]}, ONNX Runtime {want[i]} (|diff| {error:E2})");
                }
            }
            foreach (GraphStatePair pair in model.States)
                expected[pair.Output].CopyTo(carried[pair.Input], 0);
        }
        Assert.True(worst <= Tolerance, $"worst difference {worst:E2}");
    }
}
