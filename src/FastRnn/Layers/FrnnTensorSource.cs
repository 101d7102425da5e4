using FastRnn.Format;
using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>Parameters read in place from an open .frnn file (a view into the mapping, not a copy).</summary>
internal sealed class FrnnTensorSource(FrnnFile file) : ITensorSource
{
    public bool Contains(string name) => file.ContainsTensor(name);

    // An int8 tensor's scales are part of it, not a parameter of their own.
    public IEnumerable<string> Names => file.Tensors
        .Where(t => !(t.Name.EndsWith(".scale", StringComparison.Ordinal) && file.ContainsTensor(t.Name[..^".scale".Length])
            && file.GetTensorInfo(t.Name[..^".scale".Length]).DType == FrnnDType.Int8))
        .Select(t => t.Name);

    public ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape) => file.GetFloat32(name, shape);

    public WeightData GetWeights(string name, ReadOnlySpan<int> shape) => file.GetWeights(name, shape);
}
