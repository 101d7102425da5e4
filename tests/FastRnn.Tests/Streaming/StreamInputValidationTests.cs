using FastRnn.Streaming;
using FastRnn.Tests.Reference;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// Pools and batchers created to validate their inputs refuse a frame with a NaN or ±∞ at submission, naming the stream
/// and the feature, take nothing from it, and leave every stream's numbers as if the frame had never been offered —
/// against the double-precision <see cref="ReferenceRnn"/> over the finite frames only (bound as in
/// <see cref="StreamPoolTests"/>) — without allocating.
/// </summary>
public class StreamInputValidationTests
{
    private const double Bound = 1e-5;
    private const int Steps = 12;

    private static readonly RnnConfig Config = new() { Kind = RecurrentKind.Gru, InputSize = 8, HiddenSize = 16 };

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void AValidatingPool_RefusesANonFiniteFrame_AndTheStreamsGoOnAsIfItWasNeverOffered(float bad, string shown)
    {
        var parameters = StreamModels.Parameters(Config, false, 41);
        var model = RnnModel.FromPyTorch(Config, parameters);
        using var pool = new StreamPool(model, capacity: 3, validateInputs: true);
        Assert.True(pool.ValidatesInputs);
        StreamHandle a = pool.Open(), b = pool.Open();
        float[] x = StreamModels.Uniform(new Random(5), 2 * Steps * Config.InputSize, 1.5f);
        var ya = new float[Steps * Config.HiddenSize];
        var yb = new float[Steps * Config.HiddenSize];
        for (int t = 0; t < Steps; t++)
        {
            ReadOnlySpan<float> fa = x.AsSpan(t * Config.InputSize, Config.InputSize), fb = x.AsSpan((Steps + t) * Config.InputSize, Config.InputSize);
            if (t == 5)
            {
                float[] poisoned = fb.ToArray();
                poisoned[3] = bad;
                var e = Assert.Throws<ArgumentException>(() => pool.Submit(b, poisoned));
                Assert.Contains($"frame[i = 3] is {shown}: stream {b.Id}'s frame is not finite", e.Message);
                Assert.Equal(0, pool.PendingCount);
            }
            pool.Submit(a, fa);
            pool.Submit(b, fb); // the refused frame left nothing behind: b takes its real frame this tick
            pool.Tick();
            pool.GetOutput(a, ya.AsSpan(t * Config.HiddenSize, Config.HiddenSize));
            pool.GetOutput(b, yb.AsSpan(t * Config.HiddenSize, Config.HiddenSize));
        }
        var (expectedA, _, _) = ReferenceRnn.Run(Config, parameters, x[..(Steps * Config.InputSize)], Steps, 1);
        var (expectedB, _, _) = ReferenceRnn.Run(Config, parameters, x[(Steps * Config.InputSize)..], Steps, 1);
        Compare.Close(expectedA.Select(v => (float)v).ToArray(), ya, Bound, "stream a");
        Compare.Close(expectedB.Select(v => (float)v).ToArray(), yb, Bound, "stream b");
    }

    [Fact]
    public void AValidatingPool_AllocatesNothingPerTick()
    {
        var model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 42));
        using var pool = new StreamPool(model, capacity: 2, validateInputs: true);
        StreamHandle a = pool.Open(), b = pool.Open();
        float[] frame = StreamModels.Uniform(new Random(6), Config.InputSize, 1f);
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                pool.Submit(a, frame);
                pool.Submit(b, frame);
                pool.Tick();
            }
        }, "a validating pool's submit and tick");
    }

    [Fact]
    public void AValidatingBatcher_RefusesANonFiniteFrame_NamingItsOwnStreamId_AndTheStreamCanStepOn()
    {
        var model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 43));
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 4, Workers = 2, ValidateInputs = true, MaxWait = TimeSpan.Zero });
        StreamHandle first = batcher.Open(), second = batcher.Open(); // one on each worker
        var frame = new float[Config.InputSize];
        frame[6] = float.NaN;
        var output = new float[Config.HiddenSize];
        var e = Assert.Throws<ArgumentException>(() => batcher.Step(second, frame, output));
        Assert.Contains($"frame[i = 6] is NaN: stream {second.Id}'s frame", e.Message);
        e = Assert.Throws<ArgumentException>(() => batcher.StepAsync(first, frame, output));
        Assert.Contains($"stream {first.Id}'s frame", e.Message);

        // Nothing is in flight: both streams step on with finite frames.
        frame[6] = 0.5f;
        batcher.Step(second, frame, output);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        batcher.Step(first, frame, output);
    }
}
