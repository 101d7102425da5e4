using FastRnn.Tests.Reference;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// Sessions with intra-op threads: the same numbers as a double-precision reference, bit for bit those of one thread
/// (every output row is computed by the same kernel whichever thread takes it), and nothing allocated per step by
/// any thread. The sizes are large enough that the products really are split.
/// </summary>
public class ThreadedSessionTests
{
    private const int Steps = 40;

    public static IEnumerable<object[]> Configs() =>
    [
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 96, HiddenSize = 160, NumLayers = 2 }, 2],
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 64, HiddenSize = 200, ProjSize = 72 }, 3],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 128, HiddenSize = 224 }, 2],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 64, HiddenSize = 256, GruResetAfter = false }, 2],
        [new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 300, HiddenSize = 320, Bidirectional = true }, 2],
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void StepAndRun_WithThreads_MatchDoubleReference_AndOneThreadBitForBit(RnnConfig config, int batch)
    {
        var random = new Random(config.HiddenSize);
        var parameters = OnnxFeatureTests.RandomParameters(config, random);
        float[] input = Uniform(random, Steps * batch * config.InputSize);
        var model = RnnModel.FromPyTorch(config, parameters);

        using var one = model.CreateSession(batch, Steps);
        using var two = model.CreateSession(batch, Steps, threads: 2);
        Assert.Equal(2, two.Threads);
        var y1 = new float[Steps * batch * config.OutputSize];
        var y2 = new float[y1.Length];
        one.Run(input, y1);
        two.Run(input, y2);

        var (y, hn, _) = ReferenceRnn.Run(config, parameters, input, Steps, batch);
        Compare.Close(y.Select(v => (float)v).ToArray(), y2, 2e-5, "threaded Run against the double reference");
        Compare.Close(hn.Select(v => (float)v).ToArray(), two.HiddenState, 2e-5, "threaded h_n");
        Assert.Equal(y1, y2);
        Assert.True(one.HiddenState.SequenceEqual(two.HiddenState));
        Assert.True(one.CellState.SequenceEqual(two.CellState));

        if (config.Bidirectional)
            return;
        one.Reset();
        two.Reset();
        var s1 = new float[one.OutputLength];
        var s2 = new float[two.OutputLength];
        for (int t = 0; t < Steps; t++)
        {
            ReadOnlySpan<float> frame = input.AsSpan(t * one.InputLength, one.InputLength);
            one.Step(frame, s1);
            two.Step(frame, s2);
            Assert.Equal(s1, s2);
            float[] expected = y.Skip(t * two.OutputLength).Take(two.OutputLength).Select(v => (float)v).ToArray();
            Compare.Close(expected, s2, 2e-5, $"threaded Step {t} against the double reference");
        }
    }

    // Bidirectional layers whose directions run side by side on two threads (one per thread; at these sizes the panel
    // split would not split their recurrences at all), with and without per-stream lengths, projections, two layers and
    // both GRU forms.
    public static IEnumerable<object[]> BidirectionalConfigs() =>
    [
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 24, HiddenSize = 48, NumLayers = 2, Bidirectional = true }, 1, null!],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 40, HiddenSize = 64, Bidirectional = true }, 3, new[] { 40, 23, 1 }],
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 16, HiddenSize = 36, ProjSize = 20, NumLayers = 2, Bidirectional = true }, 2, new[] { 9, 40 }],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 8, HiddenSize = 96, GruResetAfter = false, Bidirectional = true }, 1, null!],
    ];

    [Theory]
    [MemberData(nameof(BidirectionalConfigs))]
    public void Run_Bidirectional_OnTwoThreads_MatchesDoubleReference_AndOneThreadBitForBit(RnnConfig config, int batch, int[]? lengths)
    {
        using RnnSession two = RunTwiceOnOneAndTwoThreads(config, batch, Steps, lengths);
        Assert.Equal(2 * config.NumLayers, two.LayersRunSideBySide);
    }

    // Forward stacks whose layers run a chunk apart on two threads: two and three layers (the third back on the caller),
    // a projected LSTM, both GRU forms, a plain RNN, one and several streams, and piece lengths that end on a whole
    // chunk, a partial one, and a one-step remainder that joins the chunk before.
    public static IEnumerable<object[]> StackedConfigs() =>
    [
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 24, HiddenSize = 48, NumLayers = 2 }, 1, 40],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 40, HiddenSize = 64, NumLayers = 3 }, 1, 49],
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 16, HiddenSize = 36, ProjSize = 20, NumLayers = 2 }, 3, 32],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 8, HiddenSize = 96, GruResetAfter = false, NumLayers = 2 }, 2, 45],
        [new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 30, HiddenSize = 120, NumLayers = 4 }, 1, 64],
    ];

    [Theory]
    [MemberData(nameof(StackedConfigs))]
    public void Run_Stacked_OnTwoThreads_MatchesDoubleReference_AndOneThreadBitForBit(RnnConfig config, int batch, int steps)
    {
        using RnnSession two = RunTwiceOnOneAndTwoThreads(config, batch, steps, lengths: null);
        Assert.Equal(2, two.PiecesPipelined);
    }

    // Runs the same input twice (the second run from the state the first left) on one thread and on two, checking the
    // two-thread outputs and states against the double reference and one thread's bits; returns the two-thread session.
    private static RnnSession RunTwiceOnOneAndTwoThreads(RnnConfig config, int batch, int steps, int[]? lengths)
    {
        var random = new Random(config.HiddenSize + batch + steps);
        var parameters = OnnxFeatureTests.RandomParameters(config, random);
        float[] input = Uniform(random, steps * batch * config.InputSize);
        var model = RnnModel.FromPyTorch(config, parameters);

        using var one = model.CreateSession(batch, steps);
        RnnSession two = model.CreateSession(batch, steps, threads: 2);
        try
        {
            var y1 = new float[steps * batch * config.OutputSize];
            var y2 = new float[y1.Length];
            for (int run = 0; run < 2; run++)
            {
                var (y, hn, cn) = ReferenceRnn.Run(config, parameters, input, steps, batch,
                    run == 0 ? null : two.HiddenState.ToArray(), run == 0 ? null : two.CellState.ToArray(), lengths);
                one.Run(input, y1, lengths);
                two.Run(input, y2, lengths);
                Compare.Close(y.Select(v => (float)v).ToArray(), y2, 2e-5, $"run {run}: two threads against the double reference");
                Compare.Close(hn.Select(v => (float)v).ToArray(), two.HiddenState, 2e-5, $"run {run}: h_n");
                Compare.Close(cn.Select(v => (float)v).ToArray(), two.CellState, 2e-5, $"run {run}: c_n");
                Assert.Equal(y1, y2);
                Assert.True(one.HiddenState.SequenceEqual(two.HiddenState));
                Assert.True(one.CellState.SequenceEqual(two.CellState));
            }
            return two;
        }
        catch
        {
            two.Dispose(); // and its worker thread
            throw;
        }
    }

    [Fact]
    public void Run_Stacked_OnTwoThreads_AllocatesNothingOnAnyThread_AndRaggedPiecesRunLayerByLayer()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 32, HiddenSize = 64, NumLayers = 2 };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(8)));
        using var session = model.CreateSession(batchSize: 1, maxSequenceLength: 64, threads: 2);
        float[] sequence = Uniform(new Random(9), 64 * config.InputSize), outputs = new float[64 * config.OutputSize];
        session.Run(sequence, outputs);
        Thread.Sleep(50); // let the worker sleep once and be woken (see above)
        session.Run(sequence, outputs);

        long workersBefore = session.Team.WorkerAllocatedBytes, callerBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
            session.Run(sequence, outputs);
        long workersAfter = session.Team.WorkerAllocatedBytes, callerAfter = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(callerBefore, callerAfter);
        Assert.Equal(workersBefore, workersAfter);
        Assert.Equal(502, session.PiecesPipelined);

        session.Run(sequence, outputs, [50]);
        Assert.Equal(502, session.PiecesPipelined);
    }

    [Fact]
    public void Run_Bidirectional_OnThreeThreads_SplitsEachProductInstead_AndMatches()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 160, HiddenSize = 192, NumLayers = 2, Bidirectional = true };
        var random = new Random(11);
        var parameters = OnnxFeatureTests.RandomParameters(config, random);
        float[] input = Uniform(random, Steps * 2 * config.InputSize);
        var model = RnnModel.FromPyTorch(config, parameters);
        using var one = model.CreateSession(2, Steps);
        using var three = model.CreateSession(2, Steps, threads: 3);
        var y1 = new float[Steps * 2 * config.OutputSize];
        var y3 = new float[y1.Length];
        one.Run(input, y1);
        three.Run(input, y3);
        var (y, _, _) = ReferenceRnn.Run(config, parameters, input, Steps, 2);
        Compare.Close(y.Select(v => (float)v).ToArray(), y3, 2e-5, "three threads against the double reference");
        Assert.Equal(y1, y3);
        Assert.Equal(0, three.LayersRunSideBySide);
    }

    // A bidirectional layer, whose directions run one after the other on the caller, and a stack whose layers would
    // wait on each other a chunk apart, which runs them one after the other instead.
    [Theory]
    [InlineData(RecurrentKind.Lstm, 128, 1, true)]
    [InlineData(RecurrentKind.Gru, 48, 3, false)]
    public void Team_AfterDispose_RunsEveryShareOnTheCaller(RecurrentKind kind, int size, int layers, bool bidirectional)
    {
        var config = new RnnConfig { Kind = kind, InputSize = size, HiddenSize = size, NumLayers = layers, Bidirectional = bidirectional };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(12)));
        float[] input = Uniform(new Random(13), Steps * config.InputSize);
        using var one = model.CreateSession(1, Steps);
        using var two = model.CreateSession(1, Steps, threads: 2);
        var expected = new float[Steps * config.OutputSize];
        var actual = new float[expected.Length];
        one.Run(input, expected);
        two.Team.Dispose(); // the workers stop; the session does not know
        two.Run(input, actual);
        Assert.Equal(expected, actual);
        Assert.Equal(bidirectional, two.LayersRunSideBySide > 0);
        Assert.Equal(0, two.PiecesPipelined);
    }

    [Fact]
    public void Step_WithThreads_AllocatesNothingOnAnyThread()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 128, HiddenSize = 192 };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(3)));
        using var session = model.CreateSession(batchSize: 1, maxSequenceLength: 32, threads: 2);
        float[] frame = Uniform(new Random(4), config.InputSize), output = new float[config.HiddenSize];
        float[] sequence = Uniform(new Random(5), 32 * config.InputSize), outputs = new float[32 * config.HiddenSize];
        for (int i = 0; i < 200; i++)
            session.Step(frame, output);
        session.Run(sequence, outputs);
        // Let the workers fall asleep once and be woken: their first wait may set up the runtime's wait machinery.
        Thread.Sleep(50);
        session.Step(frame, output);

        long workersBefore = session.Team.WorkerAllocatedBytes, callerBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5_000; i++)
            session.Step(frame, output);
        for (int i = 0; i < 20; i++)
            session.Run(sequence, outputs);
        long workersAfter = session.Team.WorkerAllocatedBytes, callerAfter = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(callerBefore, callerAfter);
        Assert.Equal(workersBefore, workersAfter);
    }

    [Fact]
    public void CreateSession_WithBadThreadCount_NamesTheLimit()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4 };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(1)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateSession(threads: 0));
        Assert.Contains($"1..{RnnSession.MaxThreads}", e.Message);
    }

    [Fact]
    public void Dispose_StopsTheWorkers_AndLaterCallsThrow()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 128, HiddenSize = 128 };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(2)));
        var session = model.CreateSession(threads: 2);
        session.Step(new float[128], new float[128]);
        session.Dispose();
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Step(new float[128], new float[128]));
    }

    internal static float[] Uniform(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
