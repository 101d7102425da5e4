using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// y = W x + b (PyTorch <c>nn.Linear</c>: weight (out, in), bias (out) or none), with W packed for the kernels.
/// </summary>
internal sealed class Linear
{
    private readonly PackedMatrix _weight; // (out, in)
    private readonly float[] _bias;        // (out), zeros without a bias

    public Linear(ITensorSource source, string name, int outputs, int inputs, bool bias)
    {
        _weight = PackedMatrix.FromWeights(source.GetWeights(name + ".weight", [outputs, inputs]), outputs, inputs);
        _bias = bias ? source.Get(name + ".bias", [outputs]).ToArray() : new float[outputs];
    }

    public int Inputs => _weight.Cols;

    public int Outputs => _weight.Rows;

    /// <summary>y_n = W x_n + b for <paramref name="count"/> rows.</summary>
    public void Forward(ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count)
        => _weight.Multiply(x, xStride, y, yStride, count, _bias, accumulate: false);

    /// <summary>The same, split by panels across <paramref name="team"/> when the product is large enough (the same bits).</summary>
    public void Forward(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count)
        => team.Multiply(_weight, x, xStride, y, yStride, count, _bias, accumulate: false);

    /// <summary>y = W x + b for one vector.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, Inputs, y, Outputs, 1);
}
