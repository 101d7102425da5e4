using FastRnn.Graph;
using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>
/// ONNX Runtime on a whole-graph model with every input and output bound once to pinned managed arrays (a run is one
/// native call, no marshalling or managed allocation), and the graph's state pairs carried by copying each state
/// output into its input after a run, as a streaming caller must.
/// </summary>
/// <remarks>One intra-op and one inter-op thread, full graph optimisations: ONNX Runtime at its best for one stream.</remarks>
internal sealed class OnnxGraphRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = [];
    private readonly (float[] From, float[] To)[] _states;

    /// <param name="path">The .onnx file.</param>
    /// <param name="model">The same model converted, for the input and output names and shapes.</param>
    /// <param name="fixedInputs">Inputs FastRnn fixed at convert time (the VAD's sample rate), fed as constants.</param>
    public OnnxGraphRunner(string path, GraphModel model, IReadOnlyDictionary<string, long> fixedInputs)
    {
        using SessionOptions options = OnnxSessionOptions.Create();
        _session = new InferenceSession(path, options);
        _binding = _session.CreateIoBinding();
        var arrays = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (GraphTensorInfo input in model.Inputs)
        {
            long[] shape = input.Shape.Select(d => (long)d).ToArray();
            if (input.ElementType == GraphElementType.Int64)
            {
                var ids = new long[input.Length];
                Inputs[input.Name] = ids;
                _binding.BindInput(input.Name, Pin(OrtValue.CreateTensorValueFromMemory(ids, shape)));
            }
            else
            {
                float[] x = arrays[input.Name] = new float[input.Length];
                Inputs[input.Name] = x;
                _binding.BindInput(input.Name, Pin(OrtValue.CreateTensorValueFromMemory(x, shape)));
            }
        }
        foreach ((string name, long value) in fixedInputs)
            _binding.BindInput(name, Pin(OrtValue.CreateTensorValueFromMemory(new[] { value }, [])));
        foreach (GraphTensorInfo output in model.Outputs)
        {
            float[] y = arrays[output.Name] = new float[output.Length];
            Outputs[output.Name] = y;
            _binding.BindOutput(output.Name, Pin(OrtValue.CreateTensorValueFromMemory(y, output.Shape.Select(d => (long)d).ToArray())));
        }
        _states = model.States.Select(s => (arrays[s.Output], arrays[s.Input])).ToArray();
    }

    /// <summary>The bound input arrays (float[] or long[]), by name: write them between runs.</summary>
    public Dictionary<string, Array> Inputs { get; } = new(StringComparer.Ordinal);

    /// <summary>The bound output arrays, by name.</summary>
    public Dictionary<string, float[]> Outputs { get; } = new(StringComparer.Ordinal);

    /// <summary>One call: run, then feed every state output into its input.</summary>
    public void Run()
    {
        _session.RunWithBinding(_runOptions, _binding);
        foreach ((float[] from, float[] to) in _states)
            from.AsSpan().CopyTo(to);
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (OrtValue value in _values)
            value.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private OrtValue Pin(OrtValue value)
    {
        _values.Add(value);
        return value;
    }
}
