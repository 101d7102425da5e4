using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>The tensors of one sub-module (names starting with <c>prefix</c>), seen without the prefix.</summary>
internal sealed class PrefixedTensorSource(ITensorSource inner, string prefix) : ITensorSource
{
    public bool Contains(string name) => inner.Contains(prefix + name);

    public IEnumerable<string> Names
        => inner.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]);

    public ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape) => inner.Get(prefix + name, shape);

    public WeightData GetWeights(string name, ReadOnlySpan<int> shape) => inner.GetWeights(prefix + name, shape);
}
