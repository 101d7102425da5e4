using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>
/// Opening a 32 MiB model (an LSTM with I = H = 1024) from a file, ready to run: <c>RnnModel.Load</c> (map, validate,
/// checksum, repack the weights) against ONNX Runtime's session creation for the same weights with the same
/// optimisation level the step benchmarks use.
/// </summary>
[MemoryDiagnoser]
public class LoadBenchmarks
{
    private const int Size = 1024;

    private string _frnn = null!;
    private string _onnx = null!;

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
    }

    [Benchmark(Baseline = true, Description = "FastRnn RnnModel.Load")]
    public RnnModel FastRnnLoad() => RnnModel.Load(_frnn);

    [Benchmark(Description = "ONNX Runtime InferenceSession")]
    public void OnnxRuntimeCreate()
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(_onnx, options);
    }
}
