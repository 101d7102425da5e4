using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// NaN and ±∞ inputs: what they do to a session without the check (poison that stream's state for good), and the
/// opt-in <see cref="RnnSessionOptions.ValidateInputs"/> check that refuses them before the step, naming the place.
/// The model is a 2-layer LSTM with I = 13, H = 16.
/// </summary>
public class InputValidationTests
{
    private const int Batch = 3, Input = 13, Hidden = 16, Steps = 5;

    private static RnnModel Model()
    {
        RnnFixture f = RnnFixture.Load("lstm_l2_uni_i13_h16_b3_t100_given");
        return RnnModel.FromPyTorch(f.Config, f.Parameters);
    }

    private static RnnSession Checked(RnnModel model) => model.CreateSession(new RnnSessionOptions { BatchSize = Batch, ValidateInputs = true });

    private static float[] Sequence(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Steps * Batch * Input).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static int At(int t, int b, int i) => (t * Batch + b) * Input + i;

    [Fact]
    public void Run_WithValidateInputs_NamesStepStreamAndFeature_OfANaN()
    {
        using RnnSession session = Checked(Model());
        float[] x = Sequence(1);
        x[At(3, 1, 7)] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => session.Run(x, new float[Steps * Batch * Hidden]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("input[t = 3, b = 1, i = 7] is NaN: stream 1 at step 3 is not finite", e.Message);
    }

    [Theory]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Step_WithValidateInputs_NamesStreamAndFeature_OfAnInfinity(float value, string text)
    {
        using RnnSession session = Checked(Model());
        float[] frame = new float[Batch * Input];
        frame[2 * Input + 12] = value;
        var e = Assert.Throws<ArgumentException>(() => session.Step(frame, new float[Batch * Hidden]));
        Assert.Contains($"input[b = 2, i = 12] is {text}: stream 2 at this step is not finite", e.Message);
    }

    [Fact]
    public void ValidateInputs_RefusesBeforeTheStep_SoTheStateIsUntouched()
    {
        using RnnSession session = Checked(Model());
        session.Run(Sequence(2), new float[Steps * Batch * Hidden]);
        float[] h = new float[session.HiddenStateLength], c = new float[session.CellStateLength];
        session.GetState(h, c);

        float[] frame = new float[Batch * Input];
        frame[0] = float.NaN;
        Assert.Throws<ArgumentException>(() => session.Step(frame, new float[Batch * Hidden]));

        float[] h2 = new float[h.Length], c2 = new float[c.Length];
        session.GetState(h2, c2);
        Assert.Equal(h, h2);
        Assert.Equal(c, c2);
    }

    [Fact]
    public void ValidateInputs_IgnoresStepsPastAStreamsLength()
    {
        using RnnSession session = Checked(Model());
        float[] x = Sequence(3);
        x[At(4, 0, 0)] = float.NaN; // stream 0 is 3 steps long: step 4 is padding, never read
        float[] y = new float[Steps * Batch * Hidden];
        session.Run(x, y, [3, 5, 5]);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));

        x[At(2, 0, 0)] = float.NaN;
        Assert.Contains("input[t = 2, b = 0, i = 0] is NaN", Assert.Throws<ArgumentException>(() => session.Run(x, y, [3, 5, 5])).Message);
    }

    [Fact]
    public void WithoutValidation_ANaNPoisonsThatStreamForEveryLaterStep_AndOnlyThatStream()
    {
        // The documented hazard the option guards against: a plain session computes with the NaN.
        using RnnSession session = Model().CreateSession(new RnnSessionOptions { BatchSize = Batch });
        float[] x = Sequence(4);
        x[At(1, 1, 5)] = float.NaN;
        float[] y = new float[Steps * Batch * Hidden];
        session.Run(x, y);
        for (int t = 0; t < Steps; t++)
        {
            for (int b = 0; b < Batch; b++)
            {
                ReadOnlySpan<float> h = y.AsSpan((t * Batch + b) * Hidden, Hidden);
                bool poisoned = b == 1 && t >= 1;
                foreach (float v in h)
                    Assert.True(poisoned ? float.IsNaN(v) : float.IsFinite(v), $"t = {t}, b = {b}: {v}");
            }
        }
    }

    [Fact]
    public void ValidateInputs_AllocatesNothing()
    {
        RnnModel model = Model();
        using RnnSession session = Checked(model);
        float[] x = Sequence(5), y = new float[Steps * Batch * Hidden];
        float[] frame = x[..(Batch * Input)], output = new float[Batch * Hidden];
        int[] lengths = [5, 2, 4];
        // A per-call allocation shows in every round; the tiered JIT's one-off allocations (more likely on a busy
        // machine, when it tiers a callee up late) do not repeat, so a steady state must reach a round of zero.
        long[] rounds = new long[20];
        for (int round = 0; round < rounds.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
                session.Step(frame, output);
            for (int i = 0; i < 100; i++)
            {
                session.Run(x, y);
                session.Run(x, y, lengths);
            }
            rounds[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            if (rounds[round] == 0)
                return;
        }
        Assert.Fail($"every round allocated: {string.Join(", ", rounds)} bytes");
    }

    [Fact]
    public void CreateSession_WithOptions_HonoursBatchAndLength()
    {
        using RnnSession session = Model().CreateSession(new RnnSessionOptions { BatchSize = 2, MaxSequenceLength = 7 });
        Assert.Equal(2, session.BatchSize);
        Assert.Equal(7, session.MaxSequenceLength);
        Assert.Throws<ArgumentNullException>(() => Model().CreateSession(null!));
    }
}
