using FastRnn.Tests.Reference;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// A session's one-vector products visit their panels forwards and backwards on alternate steps, and a GRU step runs
/// its two products in the matching order (<c>WorkerTeam.NextStep</c>). Neither may change a bit: a session started
/// on the other parity must give exactly the same outputs and states, on one thread and on two, and both must match a
/// double-precision reference.
/// </summary>
public class SweepDirectionTests
{
    private const int Steps = 24;

    public static IEnumerable<object[]> Configs() =>
    [
        // Large enough (the first, third and last) for two threads to split the products.
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 96, HiddenSize = 160, NumLayers = 2 }],
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 33, HiddenSize = 100, ProjSize = 36 }],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 128, HiddenSize = 224 }],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 48, HiddenSize = 90, GruResetAfter = false }],
        [new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 300, HiddenSize = 320 }],
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void EitherParity_GivesTheSameBits_ForStepAndRun_OnOneAndTwoThreads(RnnConfig config)
        => EitherParityGivesTheSameBits(config, Steps);

    [Fact]
    public void AGruWhoseStepWeightsLieBeyondTheL2_ReadsBothProductsSideBySide_WithTheSameBitsEitherWay()
    {
        // 24 MiB of W_ih and W_hh: beyond eight times any L2 up to 2 MiB, so a one-stream step runs W_ih x and W_hh h
        // in one pass (WorkerTeam.MultiplyTwo), on one thread and split across two.
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 1024, HiddenSize = 1024 };
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(1)));
        Assert.True(model.Cell(0, 0).StepWeightsOutOfCache);
        EitherParityGivesTheSameBits(config, steps: 6);

        // The two threads' panel ranges of both matrices give one thread's bits.
        float[] input = ThreadedSessionTests.Uniform(new Random(2), 6 * config.InputSize);
        using var one = model.CreateSession(1, 6, threads: 1);
        using var two = model.CreateSession(1, 6, threads: 2);
        var y1 = new float[config.OutputSize];
        var y2 = new float[config.OutputSize];
        for (int t = 0; t < 6; t++)
        {
            one.Step(input.AsSpan(t * config.InputSize, config.InputSize), y1);
            two.Step(input.AsSpan(t * config.InputSize, config.InputSize), y2);
            Assert.True(y1.AsSpan().SequenceEqual(y2), $"step {t}: two threads differ from one");
        }
    }

    private static void EitherParityGivesTheSameBits(RnnConfig config, int steps)
    {
        var random = new Random(config.HiddenSize + config.InputSize);
        var parameters = OnnxFeatureTests.RandomParameters(config, random);
        float[] input = ThreadedSessionTests.Uniform(random, steps * config.InputSize);
        var model = RnnModel.FromPyTorch(config, parameters);
        var (reference, _, _) = ReferenceRnn.Run(config, parameters, input, steps, 1);

        foreach (int threads in new[] { 1, 2 })
        {
            using var even = model.CreateSession(1, steps, threads);
            using var odd = model.CreateSession(1, steps, threads);
            odd.Team.NextStep();

            var runEven = new float[steps * config.OutputSize];
            var runOdd = new float[runEven.Length];
            even.Run(input, runEven);
            odd.Run(input, runOdd);
            Assert.Equal(runEven, runOdd);
            Compare.Close(reference.Select(v => (float)v).ToArray(), runOdd, 2e-5, $"Run, {threads} thread(s)");

            even.Reset();
            odd.Reset();
            odd.Team.NextStep(); // and the other way round for the steps
            var stepEven = new float[config.OutputSize];
            var stepOdd = new float[config.OutputSize];
            for (int t = 0; t < steps; t++)
            {
                ReadOnlySpan<float> frame = input.AsSpan(t * config.InputSize, config.InputSize);
                even.Step(frame, stepEven);
                odd.Step(frame, stepOdd);
                Assert.True(stepEven.SequenceEqual(stepOdd), $"{threads} thread(s), step {t}");
                Compare.Close(reference.Skip(t * config.OutputSize).Take(config.OutputSize).Select(v => (float)v).ToArray(), stepOdd, 2e-5, $"Step {t}");
            }
            Assert.True(even.HiddenState.SequenceEqual(odd.HiddenState));
            Assert.True(even.CellState.SequenceEqual(odd.CellState));
        }
    }
}
