using FastRnn.Format;
using FastRnn.Tests.Layers;

namespace FastRnn.Tests.Quantization;

/// <summary>Sessions over bfloat16 and int8 models: no allocation per step on any thread, and threads change nothing.</summary>
public class QuantizedSessionTests
{
    [Theory]
    [InlineData(WeightPrecision.BFloat16, RecurrentKind.Lstm)]
    [InlineData(WeightPrecision.Int8, RecurrentKind.Lstm)]
    [InlineData(WeightPrecision.Int8, RecurrentKind.Gru)]
    public void StepAndRun_AllocateNothing_OnAnyThread(WeightPrecision weights, RecurrentKind kind)
    {
        RnnModel model = Quantized(new RnnConfig { Kind = kind, InputSize = 128, HiddenSize = 192 }, weights);
        using var session = model.CreateSession(batchSize: 1, maxSequenceLength: 32, threads: 2);
        using var batched = model.CreateSession(batchSize: 3, maxSequenceLength: 32);
        float[] frame = Uniform(new Random(4), 128), output = new float[192];
        float[] frames = Uniform(new Random(6), 3 * 128), outputs3 = new float[3 * 192];
        float[] sequence = Uniform(new Random(5), 32 * 128), outputs = new float[32 * 192];
        for (int i = 0; i < 200; i++)
        {
            session.Step(frame, output);
            batched.Step(frames, outputs3);
        }
        session.Run(sequence, outputs);
        // Let the workers sleep once and be woken by a product large enough to need them (a GRU step of this size runs
        // on the caller alone, a Run's input projection does not): their first blocking wait sets up the wait machinery.
        Thread.Sleep(50);
        session.Run(sequence, outputs);

        // The threaded session alone first, so its workers are never left idle long enough to fall asleep.
        long workersBefore = session.Team.WorkerAllocatedBytes, callerBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3_000; i++)
            session.Step(frame, output);
        for (int i = 0; i < 10; i++)
            session.Run(sequence, outputs);
        long workersAfter = session.Team.WorkerAllocatedBytes, callerAfter = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3_000; i++)
            batched.Step(frames, outputs3);
        long batchedAfter = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(callerBefore, callerAfter);
        Assert.Equal(workersBefore, workersAfter);
        Assert.Equal(callerAfter, batchedAfter);
        Assert.All(outputs, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Int8)]
    public void Run_WithTwoThreads_EqualsOneThreadToTheBit(WeightPrecision weights)
    {
        RnnModel model = Quantized(new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 96, HiddenSize = 256, NumLayers = 2 }, weights);
        float[] sequence = Uniform(new Random(8), 20 * 96);
        float[] one = new float[20 * 256], two = new float[20 * 256];
        using (var s1 = model.CreateSession(1, maxSequenceLength: 20))
            s1.Run(sequence, one);
        using (var s2 = model.CreateSession(1, maxSequenceLength: 20, threads: 2))
            s2.Run(sequence, two);
        Assert.Equal(one, two);
    }

    /// <summary>A batch's products go through the tiled kernels, one sequence's through the one-vector ones; both give
    /// each vector the same sums to the bit, so batching changes no number.</summary>
    [Theory]
    [InlineData(WeightPrecision.BFloat16, RecurrentKind.Lstm)]
    [InlineData(WeightPrecision.Int8, RecurrentKind.Lstm)]
    [InlineData(WeightPrecision.Int8, RecurrentKind.Gru)]
    public void BatchedSteps_EqualEachSequenceSteppedAlone_ToTheBit(WeightPrecision weights, RecurrentKind kind)
    {
        const int batch = 7, input = 40, hidden = 70, steps = 6;
        RnnModel model = Quantized(new RnnConfig { Kind = kind, InputSize = input, HiddenSize = hidden }, weights);
        float[] frames = Uniform(new Random(12), steps * batch * input);
        float[] together = new float[steps * batch * hidden], alone = new float[steps * batch * hidden];
        using (var batched = model.CreateSession(batch, maxSequenceLength: 1))
        {
            for (int t = 0; t < steps; t++)
                batched.Step(frames.AsSpan(t * batch * input, batch * input), together.AsSpan(t * batch * hidden, batch * hidden));
        }
        for (int b = 0; b < batch; b++)
        {
            using var single = model.CreateSession(1, maxSequenceLength: 1);
            for (int t = 0; t < steps; t++)
                single.Step(frames.AsSpan((t * batch + b) * input, input), alone.AsSpan((t * batch + b) * hidden, hidden));
        }
        Assert.Equal(alone, together);
    }

    internal static RnnModel Quantized(RnnConfig config, WeightPrecision weights)
    {
        byte[] fp32 = RnnModel.ToFrnn(config, OnnxFeatureTests.RandomParameters(config, new Random(3)));
        using FrnnFile file = FrnnFile.Parse(fp32);
        return RnnModel.Load(FrnnQuantizer.Convert(file, weights, minElements: 1).ToArray());
    }

    private static float[] Uniform(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
