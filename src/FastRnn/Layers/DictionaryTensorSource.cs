using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>Parameters held in memory as flat row-major arrays.</summary>
internal sealed class DictionaryTensorSource(IReadOnlyDictionary<string, float[]> tensors) : ITensorSource
{
    public bool Contains(string name) => tensors.ContainsKey(name);

    public IEnumerable<string> Names => tensors.Keys;

    public ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape)
    {
        if (!tensors.TryGetValue(name, out float[]? data))
            throw Errors.MissingTensor(name, "the model configuration needs it");
        long expected = 1;
        foreach (int d in shape)
            expected *= d;
        if (data.Length != expected)
            throw Errors.TensorLength(name, data.Length, $"({string.Join(", ", shape.ToArray())})", expected);
        return data;
    }
}
