using BenchmarkDotNet.Attributes;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Benchmarks;

/// <summary>
/// One batch-1 time step of an LSTM or GRU with input = hidden = <see cref="Size"/>, by every contender on the same
/// seeded weights: FastRnn (step by step and a whole T = 256 run), a hand-written scalar cell, ONNX Runtime with
/// pre-bound buffers, and the baseline, a plain AVX2 product of [W_ih | W_hh] with one vector.
/// </summary>
/// <remarks>
/// A batch-1 step must read every weight once and does 2 flops per weight, so for all but the smallest sizes it is
/// bound by how fast the weights stream from cache or memory; the GEMV baseline streams exactly those bytes and does
/// nothing else, which makes Ratio = step time / the fp32 floor. The goal is a FastRnn step within 1.3 of it.
/// "per step" rows divide a T = 256 run by 256 (<c>OperationsPerInvoke</c>).
/// </remarks>
[MemoryDiagnoser]
public partial class RecurrentStepBenchmarks
{
    /// <summary>T of the "Run, per step" benchmarks.</summary>
    public const int SequenceLength = 256;

    private const int WeightSeed = 1234;
    private const int InputSeed = 5678;

    private RecurrentWeights _weights = null!;
    private RnnSession _session = null!;
    private NaiveRecurrentCell _naive = null!;
    private OnnxRecurrentRunner _onnxStep = null!;
    private OnnxRecurrentRunner _onnxRun = null!;
    private PackedMatrix _fused = null!; // [W_ih | W_hh], (G·H, I + H)
    private float[] _sequence = null!;   // (T, 1, I)
    private float[] _fusedInput = null!; // [x ; h], (I + H)
    private float[] _fusedOutput = null!; // (G·H)
    private float[] _stepOutput = null!; // (1, H)
    private float[] _runOutput = null!;  // (T, 1, H)

    /// <summary>Input and hidden size, I = H.</summary>
    [Params(64, 256, 512, 1024)]
    public int Size { get; set; }

    [Params(RecurrentKind.Lstm, RecurrentKind.Gru)]
    public RecurrentKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _weights = RecurrentWeights.Seeded(Kind, Size, Size, WeightSeed);
        _sequence = RecurrentWeights.Uniform(new Random(InputSeed), SequenceLength * Size, 1f);

        _session = RnnModel.FromPyTorch(_weights.Config, _weights.ToPyTorchStateDict())
            .CreateSession(batchSize: 1, maxSequenceLength: SequenceLength);
        _naive = new NaiveRecurrentCell(_weights);
        _onnxStep = new OnnxRecurrentRunner(_weights, steps: 1);
        _onnxRun = new OnnxRecurrentRunner(_weights, SequenceLength);
        _sequence.CopyTo(_onnxRun.Input, 0);

        int rows = _weights.GateCount * Size, cols = 2 * Size;
        _fused = PackedMatrix.FromRowMajor(_weights.ConcatenatedWeights(), rows, cols);
        _fusedInput = RecurrentWeights.Uniform(new Random(InputSeed + 1), cols, 1f);
        _fusedOutput = new float[rows];
        _stepOutput = new float[Size];
        _runOutput = new float[SequenceLength * Size];

        VerifyAgreement();

        // Every step benchmark feeds the first input of the sequence, again and again, from a zero state.
        _session.Reset();
        _naive.Reset();
        _onnxStep.Reset();
        _sequence.AsSpan(0, Size).CopyTo(_onnxStep.Input);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _onnxStep.Dispose();
        _onnxRun.Dispose();
    }

    [Benchmark(Baseline = true, Description = "GEMV bound (AVX2)")]
    public void GemvBound()
        => KernelSelector.Get(KernelIsa.Avx2).Multiply(_fused, _fusedInput, _fused.Cols, _fusedOutput, _fused.Rows, 1, default, accumulate: false);

    [Benchmark(Description = "FastRnn Step")]
    public void FastRnnStep() => _session.Step(_sequence.AsSpan(0, Size), _stepOutput);

    [Benchmark(Description = "FastRnn Run, per step", OperationsPerInvoke = SequenceLength)]
    public void FastRnnRun()
    {
        _session.Reset();
        _session.Run(_sequence, _runOutput);
    }

    [Benchmark(Description = "Naive scalar Step")]
    public void NaiveStep() => _naive.Step(_sequence.AsSpan(0, Size), _stepOutput);

    [Benchmark(Description = "ONNX Runtime Step")]
    public void OnnxRuntimeStep() => _onnxStep.RunAndCarryState();

    [Benchmark(Description = "ONNX Runtime Run, per step", OperationsPerInvoke = SequenceLength)]
    public void OnnxRuntimeRun() => _onnxRun.Run();
}
