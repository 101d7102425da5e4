using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FastRnn.Layers;
using FastRnn.Streaming;

namespace FastRnn.Benchmarks;

/// <summary>
/// One tick of S live streams of an LSTM with input = hidden = <see cref="Size"/>, on one thread, by three contenders
/// on the same seeded weights and frames: a <see cref="StreamPool"/> (each stream's frame submitted, then one
/// <see cref="StreamPool.Tick"/>), the baseline of S one-stream sessions stepped one after another, and ONNX Runtime
/// stepping a batch of S with pre-bound buffers (its final state carried to the next step).
/// </summary>
/// <remarks>
/// <para>Every iteration is exactly one tick (invocation count 1), so the P50 and P99 columns are percentiles of single
/// ticks' latency, and Stream-steps/s is S divided by the median tick. Ratio against the separate sessions is the
/// speed-up of batching; the targets at S = 64, Size = 256 are Ratio ≤ 1/8 and a tick at most 1/1.3 of ONNX
/// Runtime's, with 0 B allocated.</para>
/// <para>A one-stream session reads all the weights for every stream; the pool reads them once per tick and feeds S
/// rows to the register-tiled matrix product, so its advantage grows with S until the product is compute bound.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(TickConfig))]
public partial class StreamPoolBenchmarks
{
    private const int WeightSeed = 1234;
    private const int InputSeed = 5678;

    private StreamPool _pool = null!;
    private StreamHandle[] _streams = null!;
    private RnnSession[] _sessions = null!;
    private OnnxRecurrentRunner _onnx = null!;
    private float[] _frames = null!; // (S, I): stream s's frame, the same at every tick
    private float[] _output = null!; // (H)

    /// <summary>S, the live streams.</summary>
    [Params(1, 4, 16, 64, 256)]
    public int Streams { get; set; }

    /// <summary>Input and hidden size, I = H.</summary>
    [Params(256, 512)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var weights = RecurrentWeights.Seeded(RecurrentKind.Lstm, Size, Size, WeightSeed);
        var model = RnnModel.FromPyTorch(weights.Config, weights.ToPyTorchStateDict());
        _frames = RecurrentWeights.Uniform(new Random(InputSeed), Streams * Size, 1f);
        _output = new float[Size];

        _pool = new StreamPool(model, Streams);
        _streams = new StreamHandle[Streams];
        for (int s = 0; s < Streams; s++)
            _streams[s] = _pool.Open();
        _sessions = new RnnSession[Streams];
        for (int s = 0; s < Streams; s++)
            _sessions[s] = model.CreateSession(batchSize: 1, maxSequenceLength: 1);
        _onnx = new OnnxRecurrentRunner(weights, steps: 1, batch: Streams, threads: 1);
        _frames.CopyTo(_onnx.Input, 0);

        VerifyAgreement();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        foreach (RnnSession session in _sessions)
            session.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true, Description = "S separate sessions")]
    public void SeparateSessions()
    {
        for (int s = 0; s < Streams; s++)
            _sessions[s].Step(Frame(s), _output);
    }

    [Benchmark(Description = "StreamPool tick")]
    public int PoolTick()
    {
        for (int s = 0; s < Streams; s++)
            _pool.Submit(_streams[s], Frame(s));
        return _pool.Tick();
    }

    [Benchmark(Description = "ONNX Runtime batch of S")]
    public void OnnxRuntimeBatch() => _onnx.RunAndCarryState();

    private ReadOnlySpan<float> Frame(int s) => _frames.AsSpan(s * Size, Size);

    // One tick from the initial state by all three must agree before any is timed (the pool and the sessions within
    // float rounding of their different summation orders, ONNX Runtime within its own).
    private void VerifyAgreement()
    {
        var expected = new float[Size];
        var actual = new float[Size];
        PoolTick();
        _onnx.Reset();
        _onnx.RunAndCarryState();
        for (int s = 0; s < Streams; s++)
        {
            _sessions[s].Step(Frame(s), expected);
            _pool.GetOutput(_streams[s], actual);
            Check(expected, actual, $"pool stream {s}");
            Check(expected, _onnx.FinalHidden.AsSpan(s * Size, Size), $"ONNX Runtime stream {s}");
            _sessions[s].Reset();
            _pool.Reset(_streams[s]);
        }
        _onnx.Reset();
    }

    private static void Check(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-4f))
                throw new InvalidOperationException($"{what}: output {i} is {actual[i]}, the session's {expected[i]}");
        }
    }

    /// <summary>One tick per iteration, so that iteration percentiles are tick percentiles; plus the tick columns.</summary>
    private sealed class TickConfig : ManualConfig
    {
        public TickConfig()
        {
            AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(30).WithIterationCount(400));
            AddColumn(StatisticColumn.P50, new PercentileColumn(99, "one tick's time"), new RateColumn("Stream-steps/s", nameof(Streams), "streams advanced per second: S / median tick"));
        }
    }
}
