using BenchmarkDotNet.Attributes;

namespace FastRnn.Benchmarks;

/// <summary>
/// The modes beyond the batch-1 step, FastRnn beside ONNX Runtime on the same seeded weights and the same threads:
/// 16 streams per step (<c>B16</c>), and one stream on two intra-op threads (<c>T2</c>: FastRnn's
/// <c>threads: 2</c>, ONNX Runtime's <c>IntraOpNumThreads = 2</c>). Ratio is against FastRnn's Step.
/// </summary>
/// <remarks>
/// "per step" rows divide a T = 256 run by 256. In B16 a step advances all 16 streams, so µs per stream-step is the
/// figure divided by 16.
/// </remarks>
[MemoryDiagnoser]
public class ModeBenchmarks
{
    /// <summary>T of the "Run, per step" benchmarks.</summary>
    public const int SequenceLength = 256;

    private const int WeightSeed = 1234;
    private const int InputSeed = 5678;

    private RnnSession _session = null!;
    private OnnxRecurrentRunner _onnxStep = null!;
    private OnnxRecurrentRunner _onnxRun = null!;
    private float[] _sequence = null!;
    private float[] _stepOutput = null!;
    private float[] _runOutput = null!;

    /// <summary>The mode: B16 (batch 16, one thread) or T2 (batch 1, two threads).</summary>
    [Params("B16", "T2")]
    public string Mode { get; set; } = "B16";

    /// <summary>Input and hidden size, I = H.</summary>
    [Params(64, 256, 512, 1024)]
    public int Size { get; set; }

    [Params(RecurrentKind.Lstm, RecurrentKind.Gru)]
    public RecurrentKind Kind { get; set; }

    private int Batch => Mode == "B16" ? 16 : 1;

    private int Threads => Mode == "T2" ? 2 : 1;

    [GlobalSetup]
    public void Setup()
    {
        var weights = RecurrentWeights.Seeded(Kind, Size, Size, WeightSeed);
        _sequence = RecurrentWeights.Uniform(new Random(InputSeed), SequenceLength * Batch * Size, 1f);
        _session = RnnModel.FromPyTorch(weights.Config, weights.ToPyTorchStateDict())
            .CreateSession(Batch, SequenceLength, Threads);
        _onnxStep = new OnnxRecurrentRunner(weights, steps: 1, Batch, Threads);
        _onnxRun = new OnnxRecurrentRunner(weights, SequenceLength, Batch, Threads);
        _sequence.CopyTo(_onnxRun.Input, 0);
        _sequence.AsSpan(0, Batch * Size).CopyTo(_onnxStep.Input);
        _stepOutput = new float[Batch * Size];
        _runOutput = new float[SequenceLength * Batch * Size];

        // Same weights, same inputs: the two engines must agree before either is timed.
        _session.Run(_sequence, _runOutput);
        _onnxRun.Run();
        float worst = 0;
        for (int i = 0; i < _runOutput.Length; i++)
            worst = Math.Max(worst, Math.Abs(_runOutput[i] - _onnxRun.Output[i]));
        if (worst > 1e-4f)
            throw new InvalidOperationException($"FastRnn and ONNX Runtime disagree by {worst} on {Kind} {Size} {Mode}");
        _session.Reset();
        _onnxStep.Reset();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _onnxStep.Dispose();
        _onnxRun.Dispose();
    }

    [Benchmark(Baseline = true, Description = "FastRnn Step")]
    public void FastRnnStep() => _session.Step(_sequence.AsSpan(0, Batch * Size), _stepOutput);

    [Benchmark(Description = "ONNX Runtime Step")]
    public void OnnxRuntimeStep() => _onnxStep.RunAndCarryState();

    [Benchmark(Description = "FastRnn Run, per step", OperationsPerInvoke = SequenceLength)]
    public void FastRnnRun()
    {
        _session.Reset();
        _session.Run(_sequence, _runOutput);
    }

    [Benchmark(Description = "ONNX Runtime Run, per step", OperationsPerInvoke = SequenceLength)]
    public void OnnxRuntimeRun() => _onnxRun.Run();
}
