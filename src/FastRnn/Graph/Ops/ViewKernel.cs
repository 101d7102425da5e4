namespace FastRnn.Graph.Ops;

/// <summary>
/// Reshape (and what it stands for: Squeeze, Unsqueeze, Flatten, Identity): the output is the input's storage under
/// another shape. The plan gives both the same location, so nothing runs.
/// </summary>
internal sealed class ViewKernel : GraphKernel
{
    public ViewKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        if (x.Length != y.Length || x.Type != y.Type)
            throw Fail($"views {x.ShapeText} {x.Type} as {y.ShapeText} {y.Type}; a reshape keeps the element count and type");
    }

    public override bool IsView => true;

    public override void Run(GraphFrame frame, int index)
    {
    }

    public override string Describe() => "view";
}
