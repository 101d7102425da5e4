using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>
/// Where a model's parameters come from, by PyTorch state-dict name (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>, …).
/// </summary>
internal interface ITensorSource
{
    bool Contains(string name);

    /// <summary>The row-major float32 data of <paramref name="name"/>, checked against <paramref name="shape"/>.</summary>
    ReadOnlySpan<float> Get(string name, ReadOnlySpan<int> shape);

    /// <summary>A weight matrix as stored — float32, bfloat16, or int8 with row scales — checked against
    /// <paramref name="shape"/>; sources that hold only floats return <see cref="Get"/>.</summary>
    WeightData GetWeights(string name, ReadOnlySpan<int> shape) => new(Get(name, shape));

    /// <summary>Every tensor name, so that unused tensors can be reported instead of silently ignored.</summary>
    IEnumerable<string> Names { get; }
}
