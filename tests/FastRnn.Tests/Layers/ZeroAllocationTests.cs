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

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000 && canStep; i++)
            session.Step(frame, stepOut);
        for (int i = 0; i < 5; i++)
        {
            session.Run(sequence, outputs);
            session.GetState(h, c);
            session.Reset();
            session.SetState(h, c);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }
}
