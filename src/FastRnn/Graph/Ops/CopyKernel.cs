namespace FastRnn.Graph.Ops;

/// <summary>The input's elements copied under the output's shape: a reshape whose output must own its storage (a graph output).</summary>
internal sealed class CopyKernel : GraphKernel
{
    public CopyKernel(GraphNode node, GraphDefinition graph)
        : base(node)
    {
        GraphValue x = graph.Values[In(0)], y = graph.Values[Out(0)];
        if (x.Length != y.Length || x.Type != GraphElementType.Float32 || y.Type != GraphElementType.Float32)
            throw Fail($"copies {x.ShapeText} {x.Type} to {y.ShapeText} {y.Type}; a copy keeps the float32 element count");
    }

    public override void Run(GraphFrame frame, int index) => frame.In(In(0)).CopyTo(frame.Out(Out(0)));
}
