using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>Remembers which tensors were read, so a composite model can reject the ones nothing used.</summary>
internal sealed class RecordingTensorSource(ITensorSource inner) : ITensorSource
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public bool Contains(string name) => inner.Contains(name);

    public IEnumerable<string> Names => inner.Names;

    public ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape)
    {
        _read.Add(name);
        return inner.Get(name, shape);
    }

    public WeightData GetWeights(string name, ReadOnlySpan<int> shape)
    {
        _read.Add(name);
        return inner.GetWeights(name, shape);
    }

    /// <summary>Throws naming the first tensor that was never read.</summary>
    public void ThrowIfAnyUnused(string model)
    {
        foreach (string name in inner.Names)
        {
            if (!_read.Contains(name))
                throw Errors.UnexpectedTensor(name, $"the {model} configuration does not use it; is the configuration right?");
        }
    }
}
