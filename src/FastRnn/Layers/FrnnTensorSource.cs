using FastRnn.Format;

namespace FastRnn.Layers;

/// <summary>Parameters read in place from an open .frnn file (a view into the mapping, not a copy).</summary>
internal sealed class FrnnTensorSource(FrnnFile file) : ITensorSource
{
    public bool Contains(string name) => file.ContainsTensor(name);

    public IEnumerable<string> Names => file.Tensors.Select(t => t.Name);

    public ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape) => file.GetFloat32(name, shape);
}
