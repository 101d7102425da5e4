using FastRnn.Kernels;

namespace FastRnn.Graph.Ops;

/// <summary>
/// y = x · Wᵀ + b over the last axis (ONNX Gemm, MatMul + Add with a constant matrix; PyTorch <c>nn.Linear</c>):
/// x (…, K), weight (N, K), bias (N) → y (…, N). Every row of x is one vector of one blocked matrix product.
/// </summary>
internal sealed class LinearKernel : GraphKernel
{
    private readonly PackedMatrix _weight; // (N, K)
    private readonly float[] _bias;        // (N), zeros without a bias
    private readonly int _rows;

    public LinearKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], w = graph.Values[In(1)], y = graph.Values[Out(0)];
        if (!graph.Constants.TryGetValue(In(1), out float[]? weight) || w.Rank != 2)
            throw Fail($"needs a constant weight of shape (N, K); '{w.Name}' is {w.ShapeText}{(graph.Constants.ContainsKey(In(1)) ? "" : " and computed at run time")}");
        int n = w.Shape[0], k = w.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != k)
            throw Fail($"multiplies {x.ShapeText} by a weight ({n}, {k}); the input's last axis must be {k}");
        if (!y.Shape.AsSpan(0, y.Rank - 1).SequenceEqual(x.Shape.AsSpan(0, x.Rank - 1)) || y.Shape[^1] != n)
            throw Fail($"writes {y.ShapeText}; expected the input's shape with its last axis {n}");
        _weight = PackedMatrix.FromRowMajor(weight, n, k);
        _bias = new float[n];
        if (node.Input(2) is >= 0 and int b)
        {
            if (!graph.Constants.TryGetValue(b, out float[]? bias) || bias.Length != n)
                throw Fail($"needs a constant bias of {n} floats; '{graph.Values[b].Name}' is {graph.Values[b].ShapeText}");
            bias.CopyTo(_bias, 0);
        }
        _rows = x.Length / k;
    }

    public override void Run(GraphFrame frame, int index)
        => _weight.Multiply(frame.In(In(0)), _weight.Cols, frame.Out(Out(0)), _weight.Rows, _rows, _bias, accumulate: false);

    public override string Describe() => $"({_weight.Rows}, {_weight.Cols}) x {_rows} rows";
}
