using BenchmarkDotNet.Attributes;

namespace FastRnn.Benchmarks;

/// <summary>
/// A two-layer stack (input = hidden = <see cref="Size"/>) over a whole sequence, one stream, on one and two intra-op
/// threads: what a second core gives a stacked model's Run (at these sizes, its layers a chunk apart on the two
/// threads). µs per time step of both layers (a T = 256 run divided by 256); the ratio is against one thread.
/// FastRnn only: the one-thread Run's standing against ONNX Runtime is <see cref="RecurrentStepBenchmarks"/>'s.
/// </summary>
[MemoryDiagnoser]
public class StackedBenchmarks
{
    public const int SequenceLength = 256;

    private RnnSession _one = null!, _two = null!;
    private float[] _sequence = null!, _output = null!;

    [Params(64, 128, 256)]
    public int Size { get; set; }

    [Params(RecurrentKind.Lstm, RecurrentKind.Gru)]
    public RecurrentKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var tensors = new Dictionary<string, float[]>();
        for (int layer = 0; layer < 2; layer++)
        {
            RecurrentWeights w = RecurrentWeights.Seeded(Kind, Size, Size, 2468 + layer);
            foreach ((string name, float[] value) in w.ToPyTorchStateDict())
                tensors[name.Replace("_l0", $"_l{layer}")] = value;
        }
        RnnModel model = RnnModel.FromPyTorch(new RnnConfig { Kind = Kind, InputSize = Size, HiddenSize = Size, NumLayers = 2 }, tensors);
        _one = model.CreateSession(1, SequenceLength);
        _two = model.CreateSession(1, SequenceLength, threads: 2);
        _sequence = RecurrentWeights.Uniform(new Random(1357), SequenceLength * Size, 1f);
        _output = new float[SequenceLength * Size];

        // Two threads must give one thread's numbers to the bit before either is timed.
        var check = new float[_output.Length];
        _one.Run(_sequence, _output);
        _two.Run(_sequence, check);
        if (!check.AsSpan().SequenceEqual(_output))
            throw new InvalidOperationException($"two threads differ from one on a two-layer {Kind} {Size}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _one.Dispose();
        _two.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Run, one thread, per step", OperationsPerInvoke = SequenceLength)]
    public void OneThread()
    {
        _one.Reset();
        _one.Run(_sequence, _output);
    }

    [Benchmark(Description = "Run, two threads, per step", OperationsPerInvoke = SequenceLength)]
    public void TwoThreads()
    {
        _two.Reset();
        _two.Run(_sequence, _output);
    }
}
