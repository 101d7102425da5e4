namespace FastRnn.Graph.Ops;

/// <summary>
/// The compiled form of one node: shapes checked, weights packed, index tables built, all at model creation; then
/// <see cref="Run"/> reads and writes spans of the frame and allocates nothing. Immutable, shared by every session.
/// </summary>
internal abstract class GraphKernel
{
    protected GraphKernel(GraphNode node)
    {
        Node = node;
    }

    public GraphNode Node { get; }

    /// <summary>Floats of scratch the kernel needs while it runs (from the arena, live only during this node).</summary>
    public virtual int ScratchLength => 0;

    /// <summary>
    /// Whether the output is a contiguous part of the input (all of it under another shape, or a slice), so the node
    /// costs nothing and runs nothing: the plan points the output into the input's storage.
    /// </summary>
    public virtual bool IsView => false;

    /// <summary>For a view, the element of the input where the output starts.</summary>
    public virtual int ViewOffset => 0;

    /// <summary>Computes the node's outputs from its inputs; <paramref name="index"/> is the node's position.</summary>
    public abstract void Run(GraphFrame frame, int index);

    /// <summary>A one-line summary for <c>fastrnn inspect</c>.</summary>
    public virtual string Describe() => "";

    protected int In(int i) => Node.Inputs[i];

    protected int Out(int i) => Node.Outputs[i];

    protected ArgumentException Fail(string problem) => GraphErrors.Node(Node.Name, Node.Schema.Name, problem);
}
