using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// Runs an ONNX model in ONNX Runtime (CPU, one thread, no graph rewrites) and returns every output: the oracle
/// FastRnn's ONNX import is compared with.
/// </summary>
internal static class OnnxRuntimeOracle
{
    /// <summary>One graph input: float32 (X, states) or int32 (sequence_lens) data and its shape.</summary>
    public sealed record Feed(string Name, long[] Shape, float[]? Floats = null, int[]? Ints = null);

    public static Dictionary<string, (float[] Data, long[] Shape)> Run(string modelPath, IReadOnlyList<Feed> feeds)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            // The graph as written: no fusions or constant folding between the model and the kernels being checked.
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
        };
        using var session = new InferenceSession(modelPath, options);
        using var runOptions = new RunOptions();
        var values = new List<OrtValue>();
        try
        {
            foreach (Feed f in feeds)
                values.Add(f.Floats is not null ? OrtValue.CreateTensorValueFromMemory(f.Floats, f.Shape) : OrtValue.CreateTensorValueFromMemory(f.Ints!, f.Shape));
            string[] outputs = session.OutputNames.ToArray();
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, feeds.Select(f => f.Name).ToArray(), values, outputs);
            var byName = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
            int i = 0;
            foreach (OrtValue r in results)
                byName[outputs[i++]] = (r.GetTensorDataAsSpan<float>().ToArray(), r.GetTensorTypeAndShape().Shape);
            return byName;
        }
        finally
        {
            foreach (OrtValue v in values)
                v.Dispose();
        }
    }
}
