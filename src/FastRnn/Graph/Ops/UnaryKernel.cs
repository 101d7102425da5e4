using System.Numerics.Tensors;

namespace FastRnn.Graph.Ops;

/// <summary>One element-wise function, x → y of the same shape: TensorPrimitives where it has the function.</summary>
internal sealed class UnaryKernel : GraphKernel
{
    private readonly float _alpha;
    private readonly bool _tanh;

    public UnaryKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        if (!x.Shape.AsSpan().SequenceEqual(y.Shape) || x.Type != GraphElementType.Float32)
            throw Fail($"maps {x.ShapeText} to {y.ShapeText}; an element-wise function keeps the float32 shape");
        _alpha = (float)node.Attributes.Float("alpha");
        _tanh = node.Attributes.Int("tanh_approximation") != 0;
    }

    public override void Run(GraphFrame frame, int index) => Apply(Node.Op, frame.In(In(0)), frame.Out(Out(0)), _alpha, _tanh);

    public static void Apply(GraphOp op, ReadOnlySpan<float> x, Span<float> y, float alpha = 0, bool tanh = false)
    {
        switch (op)
        {
            case GraphOp.Relu:
                TensorPrimitives.Max(x, 0f, y);
                break;
            case GraphOp.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case GraphOp.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case GraphOp.Sqrt:
                TensorPrimitives.Sqrt(x, y);
                break;
            case GraphOp.Abs:
                TensorPrimitives.Abs(x, y);
                break;
            case GraphOp.Exp:
                TensorPrimitives.Exp(x, y);
                break;
            case GraphOp.Log:
                TensorPrimitives.Log(x, y);
                break;
            case GraphOp.Neg:
                TensorPrimitives.Negate(x, y);
                break;
            case GraphOp.LeakyRelu:
                for (int i = 0; i < x.Length; i++)
                    y[i] = x[i] >= 0 ? x[i] : alpha * x[i];
                break;
            case GraphOp.Softplus:
                for (int i = 0; i < x.Length; i++)
                    y[i] = ScalarMath.Softplus(x[i]);
                break;
            case GraphOp.Erf:
                for (int i = 0; i < x.Length; i++)
                    y[i] = (float)ScalarMath.Erf(x[i]);
                break;
            case GraphOp.Gelu:
                for (int i = 0; i < x.Length; i++)
                    y[i] = ScalarMath.Gelu(x[i], tanh);
                break;
            default:
                throw new InvalidOperationException($"{op} is not element-wise");
        }
    }
}
