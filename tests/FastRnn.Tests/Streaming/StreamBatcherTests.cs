using System.Diagnostics;
using FastRnn.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// The thread-safe front: many producer threads stepping their own streams get each stream's own outputs, nothing is
/// allocated per call by producers or workers, ticks start when due, and disposing answers every waiting caller.
/// </summary>
/// <remarks>
/// Outputs are checked against each stream stepped alone in a one-stream <see cref="RnnSession"/>, within 2e-5: the
/// batched products sum in another order than the one-stream ones (see <see cref="StreamPoolTests"/> for why that is
/// a few units of 1e-7 per step and does not grow over these 60 contractive steps).
/// </remarks>
public class StreamBatcherTests
{
    private const double Bound = 2e-5;
    private const int Steps = 60, WarmUp = 10;

    private static readonly RnnConfig Config = new() { Kind = RecurrentKind.Lstm, InputSize = 16, HiddenSize = 32 };

    [Fact]
    public void SixtyFourProducerThreads_EachGetTheirOwnStreamsOutputs_WithoutAllocating()
    {
        const int producers = 64, windows = 3, perWindow = (Steps - WarmUp) / windows;
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 21));
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = producers, Workers = 2, MaxWait = TimeSpan.FromMilliseconds(2) });
        float[][] inputs = Enumerable.Range(0, producers).Select(p => StreamModels.Uniform(new Random(p), Steps * Config.InputSize, 1.5f)).ToArray();
        var outputs = new float[producers][];
        var streams = new StreamHandle[producers];
        void StepTo(int p, int from, int to)
        {
            for (int t = from; t < to; t++)
                batcher.Step(streams[p], inputs[p].AsSpan(t * Config.InputSize, Config.InputSize), outputs[p].AsSpan(t * Config.HiddenSize, Config.HiddenSize));
        }

        var (allocated, workers) = ProducerWindows.Run(producers, windows,
            warmUp: p =>
            {
                outputs[p] = new float[Steps * Config.HiddenSize];
                streams[p] = batcher.Open();
                StepTo(p, 0, WarmUp);
            },
            window: (p, w) => StepTo(p, WarmUp + w * perWindow, WarmUp + (w + 1) * perWindow),
            finish: p =>
            {
                StepTo(p, WarmUp + windows * perWindow, Steps);
                batcher.Close(streams[p]);
            },
            () => batcher.WorkerAllocatedBytes);

        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
        Assert.Equal(0, workers);
        for (int p = 0; p < producers; p++)
            Compare.Close(Alone(model, inputs[p]), outputs[p], Bound, $"producer {p}");
    }

    [Fact]
    public async Task StepAsync_FromManyAsyncLoops_GivesEachStreamItsOutputs_AndTheCallsAllocateNothing()
    {
        const int loops = 16;
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 22));
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = loops, MaxWait = TimeSpan.FromMilliseconds(1) });
        float[][] inputs = Enumerable.Range(0, loops).Select(p => StreamModels.Uniform(new Random(100 + p), Steps * Config.InputSize, 1.5f)).ToArray();
        var outputs = new float[loops][];
        var allocated = new long[loops];

        async Task Loop(int p)
        {
            float[] y = outputs[p] = new float[Steps * Config.HiddenSize];
            StreamHandle stream = batcher.Open();
            for (int t = 0; t < Steps; t++)
            {
                // The call itself, on whichever thread the loop is on now; the completion runs on the worker.
                long before = GC.GetAllocatedBytesForCurrentThread();
                ValueTask step = batcher.StepAsync(stream, inputs[p].AsSpan(t * Config.InputSize, Config.InputSize), y.AsMemory(t * Config.HiddenSize, Config.HiddenSize));
                if (t >= WarmUp)
                    allocated[p] += GC.GetAllocatedBytesForCurrentThread() - before;
                await step;
            }
            batcher.Close(stream);
        }

        await Task.WhenAll(Enumerable.Range(0, loops).Select(p => Task.Run(() => Loop(p))));

        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
        for (int p = 0; p < loops; p++)
            Compare.Close(Alone(model, inputs[p]), outputs[p], Bound, $"loop {p}");
    }

    [Fact]
    public void AFrameAlone_WaitsMaxWaitForTheOthers_ThenTicks()
    {
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 23));
        var maxWait = TimeSpan.FromMilliseconds(30);
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 4, MaxWait = maxWait });
        StreamHandle waiting = batcher.Open();
        batcher.Open(); // open but silent: the tick cannot wait for it forever

        var watch = Stopwatch.StartNew();
        batcher.Step(waiting, new float[Config.InputSize], new float[Config.HiddenSize]);
        Assert.InRange(watch.Elapsed, maxWait, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MaxBatchFrames_StartATick_WithoutWaitingForTheRest()
    {
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 24));
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 4, MaxBatch = 2, MaxWait = TimeSpan.FromMinutes(1) });
        StreamHandle a = batcher.Open(), b = batcher.Open();
        batcher.Open();
        ValueTask first = batcher.StepAsync(a, new float[Config.InputSize], new float[Config.HiddenSize]);
        ValueTask second = batcher.StepAsync(b, new float[Config.InputSize], new float[Config.HiddenSize]);
        await first.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Dispose_CompletesTheStepsAlreadySubmitted_AndRefusesLaterOnes()
    {
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 25));
        var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 4, MaxWait = TimeSpan.FromMinutes(1) });
        StreamHandle a = batcher.Open();
        batcher.Open();
        var output = new float[Config.HiddenSize];
        Task pending = batcher.StepAsync(a, StreamModels.Uniform(new Random(1), Config.InputSize, 1f), output).AsTask();
        Assert.False(pending.IsCompleted); // waiting for the other open stream, for up to a minute

        batcher.Dispose();
        await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(output, v => v != 0f);
        Assert.Throws<ObjectDisposedException>(() => batcher.Step(a, new float[Config.InputSize], output));
        batcher.Dispose();
    }

    [Fact]
    public async Task AStepsResultTakenBeforeItCompletes_IsRefused_AndTheStepStaysInFlight()
    {
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 27));
        var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 2, MaxWait = TimeSpan.FromMinutes(1) });
        StreamHandle a = batcher.Open();
        batcher.Open();
        float[] frame = StreamModels.Uniform(new Random(2), Config.InputSize, 1f);
        var output = new float[Config.HiddenSize];
        ValueTask pending = batcher.StepAsync(a, frame, output);
        ValueTask early = pending;

        // GetResult before completion (a misuse) is refused; the slot must still count its step as in flight.
        Assert.Contains("exactly once", Assert.Throws<InvalidOperationException>(() => early.GetAwaiter().GetResult()).Message);
        Assert.Contains("step in flight", Assert.Throws<InvalidOperationException>(() => batcher.StepAsync(a, frame, new float[Config.HiddenSize])).Message);

        batcher.Dispose(); // ticks the waiting step
        await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        using var session = model.CreateSession();
        var expected = new float[Config.HiddenSize];
        session.Step(frame, expected);
        Compare.Close(expected, output, Bound, "the step taken once");
    }

    [Fact]
    public void Misuse_GetsAnExceptionNamingTheProblem()
    {
        RnnModel model = RnnModel.FromPyTorch(Config, StreamModels.Parameters(Config, false, 26));
        using var batcher = new StreamBatcher(model, new StreamBatcherOptions { Capacity = 2, MaxWait = TimeSpan.FromMinutes(1) });
        StreamHandle a = batcher.Open();
        batcher.Open();
        var frame = new float[Config.InputSize];
        ValueTask inFlight = batcher.StepAsync(a, frame, new float[Config.HiddenSize]);
        Assert.Contains("step in flight", Assert.Throws<InvalidOperationException>(() => batcher.StepAsync(a, frame, new float[Config.HiddenSize])).Message);
        Assert.Contains("step in flight", Assert.Throws<InvalidOperationException>(() => batcher.Close(a)).Message);
        Assert.Contains("frame has 3 floats", Assert.Throws<ArgumentException>(() => batcher.Step(a, new float[3], new float[Config.HiddenSize])).Message);
        Assert.Contains("all 2 streams", Assert.Throws<InvalidOperationException>(() => batcher.Open()).Message);
        Assert.Contains("is not open", Assert.Throws<InvalidOperationException>(() => batcher.Reset(default)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamBatcher(model, new StreamBatcherOptions { Workers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamBatcher(model, new StreamBatcherOptions { MaxWait = TimeSpan.FromSeconds(-1) }));
        GC.KeepAlive(inFlight);
    }

    private static float[] Alone(RnnModel model, float[] input)
    {
        using var session = model.CreateSession();
        var y = new float[Steps * Config.HiddenSize];
        for (int t = 0; t < Steps; t++)
            session.Step(input.AsSpan(t * Config.InputSize, Config.InputSize), y.AsSpan(t * Config.HiddenSize, Config.HiddenSize));
        return y;
    }
}
