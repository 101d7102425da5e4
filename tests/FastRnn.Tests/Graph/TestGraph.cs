using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>Builds small graph definitions by hand for the operator tests, with seeded random inputs and constants.</summary>
internal sealed class TestGraph
{
    private readonly Random _random;

    public TestGraph(int seed)
    {
        _random = new Random(seed);
    }

    public GraphDefinition Definition { get; } = new();

    public int Input(string name, params int[] shape)
    {
        int v = Definition.AddValue(name, GraphElementType.Float32, shape);
        Definition.Inputs.Add(v);
        return v;
    }

    public int IntInput(string name, params int[] shape)
    {
        int v = Definition.AddValue(name, GraphElementType.Int64, shape);
        Definition.Inputs.Add(v);
        return v;
    }

    public int Constant(string name, int[] shape, double scale = 1)
        => Definition.AddConstant(name, shape, Random(shape.Aggregate(1, (p, d) => p * d), scale));

    public int Node(GraphOp op, int[] inputs, int[] shape, GraphAttributes? attributes = null)
    {
        int output = Definition.AddValue($"v{Definition.Values.Count}", GraphElementType.Float32, shape);
        Definition.Nodes.Add(new GraphNode(op, $"n{Definition.Nodes.Count}", inputs, [output], attributes ?? GraphAttributes.Empty));
        return output;
    }

    public GraphModel Build(params int[] outputs)
    {
        Definition.Outputs.AddRange(outputs);
        return GraphModel.Create(Definition);
    }

    public float[] Random(int count, double scale = 1)
        => Enumerable.Range(0, count).Select(_ => (float)((_random.NextDouble() * 2 - 1) * scale)).ToArray();

    public float[] Data(int value) => Definition.Constants[value];

    public static GraphAttributes Attributes() => new();
}
