using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Tests.Graph;

/// <summary>
/// ONNX Runtime (CPU, one thread, graph rewrites off) on one model for many calls: the oracle the graph models are
/// compared with. Inputs are float32 or int64 arrays by name; outputs come back as float arrays by name.
/// </summary>
internal sealed class OrtStream : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();

    public OrtStream(string path)
    {
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
        };
        _session = new InferenceSession(path, _options);
    }

    public Dictionary<string, float[]> Run(IReadOnlyList<(string Name, long[] Shape, Array Data)> feeds)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach ((_, long[] shape, Array data) in feeds)
            {
                values.Add(data switch
                {
                    float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
                    long[] l => OrtValue.CreateTensorValueFromMemory(l, shape),
                    _ => throw new ArgumentException("feeds are float[] or long[]"),
                });
            }
            string[] outputs = [.. _session.OutputNames];
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_run, feeds.Select(f => f.Name).ToArray(), values, outputs);
            var byName = new Dictionary<string, float[]>(StringComparer.Ordinal);
            int i = 0;
            foreach (OrtValue r in results)
                byName[outputs[i++]] = r.GetTensorDataAsSpan<float>().ToArray();
            return byName;
        }
        finally
        {
            foreach (OrtValue v in values)
                v.Dispose();
        }
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
