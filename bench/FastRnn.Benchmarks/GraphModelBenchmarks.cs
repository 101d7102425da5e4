using BenchmarkDotNet.Attributes;
using FastRnn.Graph;
using FastRnn.Import;

namespace FastRnn.Benchmarks;

/// <summary>
/// Per-call latency of the three whole-graph acceptance models (tools/gen_graph_fixtures.py) in FastRnn and in ONNX
/// Runtime with pre-bound OrtValues, one thread each: the text classifier (2 × 12 tokens through Embedding, a 2-layer
/// bidirectional LSTM of 24, pooling, Linear, LogSoftmax), the CRNN keyword spotter (50 frames of 40 through three
/// Conv1d blocks, a GRU of 64, Linear) and the Silero-VAD-shaped model (one 512-sample chunk with 64 of context,
/// state carried). Weights are seeded random; the cost depends on the sizes, not on what the weights say.
/// </summary>
[MemoryDiagnoser]
public class GraphModelBenchmarks
{
    private GraphSession _session = null!;
    private OnnxGraphRunner _ort = null!;

    [Params("vad", "kws_crnn", "text_classifier")]
    public string Model { get; set; } = "vad";

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "graph", Model + ".onnx");
        var options = Model == "vad"
            ? new GraphImportOptions
            {
                Fixed = new Dictionary<string, double[]> { ["sr"] = [16000] },
                Shapes = new Dictionary<string, int[]> { ["input"] = [1, 576], ["state"] = [2, 1, 128] },
            }
            : new GraphImportOptions();
        GraphModel model = OnnxGraphImporter.Import(path, options).Model;
        _session = model.CreateSession();
        _ort = new OnnxGraphRunner(path, model, Model == "vad" ? new Dictionary<string, long> { ["sr"] = 16000 } : new Dictionary<string, long>());
        var random = new Random(1);
        foreach (GraphTensorInfo input in model.Inputs.Where(i => model.States.All(s => s.Input != i.Name)))
        {
            if (input.ElementType == GraphElementType.Int64)
            {
                long[] ids = Enumerable.Range(0, input.Length).Select(_ => (long)random.Next(50)).ToArray();
                _session.SetInput(input.Name, ids);
                ids.CopyTo((long[])_ort.Inputs[input.Name], 0);
            }
            else
            {
                float[] x = Enumerable.Range(0, input.Length).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray();
                _session.SetInput(input.Name, x);
                x.CopyTo((float[])_ort.Inputs[input.Name], 0);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _ort.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime, pre-bound")]
    public void OnnxRuntime() => _ort.Run();

    [Benchmark(Description = "FastRnn GraphSession")]
    public void FastRnn() => _session.Run();
}
