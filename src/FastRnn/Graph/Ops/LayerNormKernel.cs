using System.Numerics.Tensors;

namespace FastRnn.Graph.Ops;

/// <summary>
/// Layer normalisation over the trailing axes from <c>axis</c> (ONNX LayerNormalization, PyTorch <c>nn.LayerNorm</c>):
/// y = (x − mean) / sqrt(var + ε) · scale + bias, with the biased variance, per row of the normalised size.
/// </summary>
internal sealed class LayerNormKernel : GraphKernel
{
    private readonly int _rows, _size;
    private readonly float[] _scale, _bias;
    private readonly float _epsilon;

    public LayerNormKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        long axis = node.Attributes.Int("axis");
        if (axis < 0 || axis >= x.Rank || !x.Shape.AsSpan().SequenceEqual(y.Shape))
            throw Fail($"normalises from axis {axis} of {x.ShapeText} into {y.ShapeText}");
        _rows = Shapes.Product(x.Shape.AsSpan(0, (int)axis));
        _size = Shapes.Product(x.Shape.AsSpan((int)axis));
        _scale = Constant(graph, 1, 1f);
        _bias = Constant(graph, 2, 0f);
        _epsilon = (float)node.Attributes.Float("epsilon");
    }

    private float[] Constant(GraphDefinition graph, int input, float fallback)
    {
        if (Node.Input(input) < 0)
            return Enumerable.Repeat(fallback, _size).ToArray();
        if (!graph.Constants.TryGetValue(Node.Input(input), out float[]? data) || data.Length != _size)
            throw Fail($"needs a constant {(input == 1 ? "scale" : "bias")} of {_size} floats");
        return data;
    }

    public override void Run(GraphFrame frame, int index)
    {
        ReadOnlySpan<float> x = frame.In(In(0));
        Span<float> y = frame.Out(Out(0));
        for (int r = 0; r < _rows; r++)
        {
            Span<float> row = y.Slice(r * _size, _size);
            float mean = TensorPrimitives.Sum(x.Slice(r * _size, _size)) / _size;
            TensorPrimitives.Subtract(x.Slice(r * _size, _size), mean, row);
            float variance = TensorPrimitives.SumOfSquares(row) / _size;
            TensorPrimitives.Multiply(row, 1f / MathF.Sqrt(variance + _epsilon), row);
            TensorPrimitives.MultiplyAdd(row, _scale, _bias, row);
        }
    }

    public override string Describe() => $"{_rows} rows of {_size}";
}
