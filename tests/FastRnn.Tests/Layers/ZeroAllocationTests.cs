using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// After warm-up, thousands of steps and several whole-sequence runs allocate nothing on the calling thread.
/// </summary>
public class ZeroAllocationTests
{
    public static IEnumerable<object[]> Models() =>
    [
        ["lstm_l2_uni_i13_h16_b3_t100_given"],
        ["lstm_l2_uni_i37_h63_p16_b1_t100_zero"],
        ["lstm_l3_bi_i13_h17_b3_t100_given"],
        ["gru_l2_uni_i37_h63_b1_t100_given"],
        ["gru_resetbefore_l2_bi_i13_h16_b3_t100_zero"],
        ["gru_resetbefore_l1_uni_i13_h17_b3_t100_given"],
        ["rnn_tanh_l2_uni_i37_h63_b3_t100_given"],
        ["rnn_relu_l2_bi_i13_h17_b3_t100_given"],
    ];

    [Theory]
    [MemberData(nameof(Models))]
    public void StepAndRun_AllocateNothing_AfterWarmUp(string name)
    {
        var f = RnnFixture.Load(name);
        using var session = RnnModel.FromPyTorch(f.Config, f.Parameters).CreateSession(f.Batch, maxSequenceLength: 64);
        var output = new float[f.Output.Length];
        ReadOnlySpan<float> frame = f.Input.AsSpan(0, session.InputLength);
        var stepOut = new float[session.OutputLength];
        var h = new float[session.HiddenStateLength];
        var c = new float[session.CellStateLength];
        bool canStep = !f.Config.Bidirectional;
        // A bidirectional session runs at most maxSequenceLength steps at once: give it exactly that many.
        int runSteps = f.Config.Bidirectional ? 64 : f.Steps;
        ReadOnlySpan<float> sequence = f.Input.AsSpan(0, runSteps * session.InputLength);
        Span<float> outputs = output.AsSpan(0, runSteps * session.OutputLength);

        // Warm-up: JIT tiering and static initialisation are allowed to allocate.
        for (int i = 0; i < 200; i++)
        {
            if (canStep)
                session.Step(frame, stepOut);
            session.Run(sequence, outputs);
        }

        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 5000 && canStep; i++)
                session.Step(f.Input.AsSpan(0, session.InputLength), stepOut);
            for (int i = 0; i < 5; i++)
            {
                session.Run(f.Input.AsSpan(0, runSteps * session.InputLength), output.AsSpan(0, runSteps * session.OutputLength));
                session.GetState(h, c);
                session.Reset();
                session.SetState(h, c);
            }
        }, $"{name}: steps, runs and state calls");
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }

    public static IEnumerable<object[]> GeneralPathModels() =>
    [
        [new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 7, HiddenSize = 19, Peepholes = true, InputForget = true, Clip = 1f, NumLayers = 2 }],
        [new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 5, HiddenSize = 9, Bidirectional = true, GruResetAfter = false,
            Activations = [new RnnActivation(RnnActivationKind.HardSigmoid, 0.2f, 0.5f), RnnActivation.Tanh, RnnActivation.Sigmoid, new RnnActivation(RnnActivationKind.Softsign)] }],
        [new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 4, HiddenSize = 13, Reverse = true, Activations = [new RnnActivation(RnnActivationKind.Elu, 0.5f)] }],
    ];

    [Theory]
    [MemberData(nameof(GeneralPathModels))]
    public void RunWithSequenceLengths_OnTheGeneralPath_AllocatesNothing(RnnConfig config)
    {
        const int steps = 40, batch = 3;
        var model = RnnModel.FromPyTorch(config, OnnxFeatureTests.RandomParameters(config, new Random(3)));
        using var session = model.CreateSession(batch, steps);
        var input = new float[steps * batch * config.InputSize];
        for (int i = 0; i < input.Length; i++)
            input[i] = MathF.Sin(i);
        var output = new float[steps * batch * config.OutputSize];
        int[] lengths = [steps, 23, 1];

        for (int i = 0; i < 50; i++)
        {
            session.Run(input, output, lengths);
            session.Run(input, output);
        }
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                session.Run(input, output, lengths);
                session.Run(input, output);
            }
        }, "runs with sequence lengths on the general path");
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }
}
