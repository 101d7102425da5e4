using FastRnn.Graph;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Graph;

/// <summary>
/// The session API on the acceptance models: nothing allocated per call, state carried, read, written and reset,
/// named and index overloads agreeing, wrong calls refused with messages naming the input, and one model shared by
/// sessions on many threads.
/// </summary>
public class GraphSessionTests
{
    private static readonly GraphModel Vad = GraphFixtures.Load("vad");

    private static float[] Chunk(Random random) => Enumerable.Range(0, 576).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    [Theory]
    [InlineData("text_classifier")]
    [InlineData("kws_crnn")]
    [InlineData("vad")]
    [InlineData("op_zoo")]
    public void Run_AllocatesNothing_AfterWarmUp(string name)
    {
        GraphModel model = GraphFixtures.Load(name);
        using GraphSession session = model.CreateSession();
        var random = new Random(7);
        foreach (GraphTensorInfo input in model.Inputs)
        {
            if (input.ElementType == GraphElementType.Int64)
                session.SetInput(input.Name, Enumerable.Range(0, input.Length).Select(_ => (long)random.Next(50)).ToArray());
            else
                session.SetInput(input.Name, Enumerable.Range(0, input.Length).Select(_ => (float)random.NextDouble()).ToArray());
        }
        float[] x = model.Inputs[0].ElementType == GraphElementType.Float32 ? new float[model.Inputs[0].Length] : [];
        var y = new float[model.Outputs[0].Length];
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                if (x.Length > 0)
                    session.SetInput(0, x);
                session.Run();
                session.GetOutput(0, y);
                _ = session.Output(model.Outputs[0].Name);
            }
        }, $"{name}: 1,000 calls of Run, SetInput, GetOutput and Output");
    }

    [Fact]
    public void NamedAndIndexRuns_AllocateNothing_OnTheVad()
    {
        using GraphSession session = Vad.CreateSession();
        float[] chunk = Chunk(new Random(1));
        var p = new float[1];
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                session.Run(chunk, p);
                session.Run("input", chunk, "output", p);
                session.Run(0, chunk, 0, p);
            }
        }, "the VAD's positional, named and index runs");
    }

    [Fact]
    public void State_IsCarried_AndReadWritableAndResettable()
    {
        var random = new Random(3);
        float[][] chunks = Enumerable.Range(0, 6).Select(_ => Chunk(random)).ToArray();
        using GraphSession a = Vad.CreateSession();
        using GraphSession b = Vad.CreateSession();
        var pa = new float[1];
        var pb = new float[1];

        Assert.All(a.State("state").ToArray(), v => Assert.Equal(0f, v));
        a.Run(chunks[0], pa);
        float[] first = [.. pa];
        float[] stateAfterFirst = a.State("state").ToArray();
        Assert.Equal(a.Output("stateN").ToArray(), stateAfterFirst); // stateN fed back into state
        a.Run(chunks[1], pa);
        Assert.NotEqual(first[0], pa[0]); // the state changed the answer... (different chunk too)

        // Writing the saved state into a fresh session continues the stream exactly.
        b.State("state").Clear();
        stateAfterFirst.CopyTo(b.State("state"));
        b.Run(chunks[1], pb);
        Assert.Equal(pa[0], pb[0]);

        // Reset gives a fresh stream: the first chunk's answer again.
        a.ResetState();
        a.Run(chunks[0], pa);
        Assert.Equal(first[0], pa[0]);

        // The same chunk from a carried state gives another answer than from zeros.
        a.Run(chunks[0], pa);
        Assert.NotEqual(first[0], pa[0]);
    }

    [Fact]
    public void WrongCalls_AreRefused_NamingTheInput()
    {
        using GraphSession session = Vad.CreateSession();
        Assert.Contains("'input' has 575 elements; expected 576 = [1, 576]", Assert.Throws<ArgumentException>(() => session.SetInput("input", new float[575])).Message);
        Assert.Contains("no input named 'audio'", Assert.Throws<ArgumentException>(() => session.SetInput("audio", new float[576])).Message);
        Assert.Contains("holds Float32", Assert.Throws<ArgumentException>(() => session.SetInput("input", new long[576])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => session.SetInput(5, new float[576]));
        Assert.Contains("'output' has 2 elements; expected 1", Assert.Throws<ArgumentException>(() => session.GetOutput("output", new float[2])).Message);
        Assert.Contains("not a state input", Assert.Throws<ArgumentException>(() => session.State("input")).Message);

        using GraphSession text = GraphFixtures.Load("text_classifier").CreateSession();
        Assert.Throws<ArgumentException>(() => text.Run(new float[24], new float[10])); // tokens are int64
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run());
    }

    [Fact]
    public void OneModel_ServesSessionsOnManyThreads_WithTheSameAnswers()
    {
        var random = new Random(11);
        float[][] chunks = Enumerable.Range(0, 50).Select(_ => Chunk(random)).ToArray();
        float[] Stream()
        {
            using GraphSession s = Vad.CreateSession();
            var p = new float[1];
            return chunks.Select(c =>
            {
                s.Run(c, p);
                return p[0];
            }).ToArray();
        }
        float[] expected = Stream();
        float[][] results = new float[8][];
        Parallel.For(0, 8, i => results[i] = Stream());
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
