using BenchmarkDotNet.Attributes;
using FastRnn.Format;
using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>
/// Opening a 32 MiB model (an LSTM with I = H = 1024) from a file, ready to run: <c>RnnModel.Load</c> (map, validate,
/// checksum, repack the weights) against ONNX Runtime's session creation for the same weights with the same
/// optimisation level the step benchmarks use; and the same model converted to bfloat16 and int8 weights (16 and
/// 8 MiB), which should load faster than the float32 file, not slower. Each also on two threads (FastRnn's
/// <see cref="ModelLoadOptions.Threads"/>, ONNX Runtime's <c>IntraOpNumThreads</c>).
/// </summary>
[MemoryDiagnoser]
public class LoadBenchmarks
{
    private const int Size = 1024;

    private string _frnn = null!;
    private string _onnx = null!;
    private string _bf16 = null!;
    private string _int8 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var weights = RecurrentWeights.Seeded(RecurrentKind.Lstm, Size, Size, seed: 1234);
        string dir = Path.Combine(Path.GetTempPath(), "fastrnn-load-bench");
        Directory.CreateDirectory(dir);
        _frnn = Path.Combine(dir, "lstm1024.frnn");
        _onnx = Path.Combine(dir, "lstm1024.onnx");
        File.WriteAllBytes(_frnn, RnnModel.ToFrnn(weights.Config, weights.ToPyTorchStateDict()));
        File.WriteAllBytes(_onnx, OnnxRecurrentModel.Build(weights, steps: 1));
        _bf16 = Path.Combine(dir, "lstm1024-bf16.frnn");
        _int8 = Path.Combine(dir, "lstm1024-int8.frnn");
        using var file = FrnnFile.Open(_frnn);
        File.WriteAllBytes(_bf16, FrnnQuantizer.Convert(file, WeightPrecision.BFloat16).ToArray());
        File.WriteAllBytes(_int8, FrnnQuantizer.Convert(file, WeightPrecision.Int8).ToArray());
    }

    [Benchmark(Baseline = true, Description = "FastRnn RnnModel.Load")]
    public RnnModel FastRnnLoad() => RnnModel.Load(_frnn);

    [Benchmark(Description = "FastRnn RnnModel.Load, two threads")]
    public RnnModel FastRnnLoadTwoThreads() => RnnModel.Load(_frnn, TwoThreads);

    [Benchmark(Description = "FastRnn RnnModel.Load, bf16 weights")]
    public RnnModel FastRnnLoadBFloat16() => RnnModel.Load(_bf16);

    [Benchmark(Description = "FastRnn RnnModel.Load, int8 weights")]
    public RnnModel FastRnnLoadInt8() => RnnModel.Load(_int8);

    [Benchmark(Description = "FastRnn RnnModel.Load, int8 weights, two threads")]
    public RnnModel FastRnnLoadInt8TwoThreads() => RnnModel.Load(_int8, TwoThreads);

    [Benchmark(Description = "ONNX Runtime InferenceSession")]
    public void OnnxRuntimeCreate() => CreateOnnxSession(threads: 1);

    [Benchmark(Description = "ONNX Runtime InferenceSession, two intra-op threads")]
    public void OnnxRuntimeCreateTwoThreads() => CreateOnnxSession(threads: 2);

    private static readonly ModelLoadOptions TwoThreads = new() { Threads = 2 };

    private void CreateOnnxSession(int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(_onnx, options);
    }
}
