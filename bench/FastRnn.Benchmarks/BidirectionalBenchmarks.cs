using BenchmarkDotNet.Attributes;

namespace FastRnn.Benchmarks;

/// <summary>
/// A bidirectional layer over a whole sequence, the offline mode of tagging, classification and CTC models: FastRnn's
/// Run beside ONNX Runtime's bidirectional node on the same seeded weights, one stream, on one or two threads (FastRnn's
/// <c>threads</c>, ONNX Runtime's <c>IntraOpNumThreads</c>). µs per time step (a T = 256 run divided by 256), both
/// directions included.
/// </summary>
[MemoryDiagnoser]
public class BidirectionalBenchmarks
{
    /// <summary>T.</summary>
    public const int SequenceLength = 256;

    private const int WeightSeed = 4321;
    private const int InputSeed = 8765;

    private RnnSession _session = null!;
    private OnnxRecurrentRunner _onnx = null!;
    private float[] _sequence = null!;
    private float[] _output = null!;

    /// <summary>Input and hidden size, I = H.</summary>
    [Params(64, 128, 256, 512)]
    public int Size { get; set; }

    [Params(RecurrentKind.Lstm, RecurrentKind.Gru)]
    public RecurrentKind Kind { get; set; }

    /// <summary>Intra-op threads on each side.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        RecurrentWeights forward = RecurrentWeights.Seeded(Kind, Size, Size, WeightSeed);
        RecurrentWeights backward = RecurrentWeights.Seeded(Kind, Size, Size, WeightSeed + 1);
        var tensors = new Dictionary<string, float[]>();
        foreach ((string name, float[] value) in forward.ToPyTorchStateDict())
            tensors[name] = value;
        foreach ((string name, float[] value) in backward.ToPyTorchStateDict())
            tensors[name + "_reverse"] = value;

        _sequence = RecurrentWeights.Uniform(new Random(InputSeed), SequenceLength * Size, 1f);
        _session = RnnModel.FromPyTorch(forward.Config with { Bidirectional = true }, tensors)
            .CreateSession(batchSize: 1, SequenceLength, Threads);
        _onnx = new OnnxRecurrentRunner([forward, backward], SequenceLength, batch: 1, Threads);
        _sequence.CopyTo(_onnx.Input, 0);
        _output = new float[SequenceLength * 2 * Size];

        // Same weights, same inputs: the two engines must agree before either is timed. FastRnn's output is
        // (T, B, 2·H), both directions side by side; ONNX Runtime's Y is (T, 2, B, H): the same order for B = 1.
        _session.Run(_sequence, _output);
        _onnx.Run();
        float worst = 0;
        for (int i = 0; i < _output.Length; i++)
            worst = Math.Max(worst, Math.Abs(_output[i] - _onnx.Output[i]));
        if (worst > 1e-4f)
            throw new InvalidOperationException($"FastRnn and ONNX Runtime disagree by {worst} on bidirectional {Kind} {Size}, {Threads} threads");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true, Description = "FastRnn Run, per step", OperationsPerInvoke = SequenceLength)]
    public void FastRnnRun()
    {
        _session.Reset(); // ONNX Runtime starts each run from its zero initial state
        _session.Run(_sequence, _output);
    }

    [Benchmark(Description = "ONNX Runtime Run, per step", OperationsPerInvoke = SequenceLength)]
    public void OnnxRuntimeRun() => _onnx.Run();
}
