using BenchmarkDotNet.Attributes;

namespace FastRnn.Benchmarks;

/// <summary>
/// One batch-1 step on one thread against the same step on two intra-op threads (<c>threads: 2</c>), in one run, so
/// that the speed-up of the second core is a ratio within the run: the target is a two-thread Step of at least
/// 1.6× the one-thread Step (Ratio ≤ 0.625) at 256 and 512, with 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class ThreadScalingBenchmarks
{
    private const int WeightSeed = 1234;
    private const int InputSeed = 5678;

    private RnnSession _one = null!;
    private RnnSession _two = null!;
    private float[] _input = null!;
    private float[] _output = null!;

    /// <summary>Input and hidden size, I = H.</summary>
    [Params(256, 512, 1024)]
    public int Size { get; set; }

    [Params(RecurrentKind.Lstm, RecurrentKind.Gru)]
    public RecurrentKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var weights = RecurrentWeights.Seeded(Kind, Size, Size, WeightSeed);
        var model = RnnModel.FromPyTorch(weights.Config, weights.ToPyTorchStateDict());
        _one = model.CreateSession(batchSize: 1, maxSequenceLength: 1);
        _two = model.CreateSession(batchSize: 1, maxSequenceLength: 1, threads: 2);
        _input = RecurrentWeights.Uniform(new Random(InputSeed), Size, 1f);
        _output = new float[Size];

        // The split is bit-identical to one thread: check it once before timing.
        var other = new float[Size];
        _one.Step(_input, _output);
        _two.Step(_input, other);
        if (!_output.AsSpan().SequenceEqual(other))
            throw new InvalidOperationException("two threads gave other bits than one");
        _one.Reset();
        _two.Reset();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _one.Dispose();
        _two.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Step, one thread")]
    public void OneThread() => _one.Step(_input, _output);

    [Benchmark(Description = "Step, two threads")]
    public void TwoThreads() => _two.Step(_input, _output);
}
