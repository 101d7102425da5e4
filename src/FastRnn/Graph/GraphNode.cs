namespace FastRnn.Graph;

/// <summary>One operator application: value indices in (−1 for an absent optional input) and out.</summary>
/// <param name="Op">The operator.</param>
/// <param name="Name">A name for messages and <c>fastrnn inspect</c> (the ONNX node's name).</param>
/// <param name="Inputs">Indices into the graph's values; −1 where an optional input is absent.</param>
/// <param name="Outputs">Indices into the graph's values.</param>
/// <param name="Attributes">Checked against the operator's schema.</param>
internal sealed record GraphNode(GraphOp Op, string Name, int[] Inputs, int[] Outputs, GraphAttributes Attributes)
{
    public OpSchema Schema => GraphOps.Of(Op);

    /// <summary>Input <paramref name="i"/>'s value index, or −1 when absent.</summary>
    public int Input(int i) => i < Inputs.Length ? Inputs[i] : -1;
}
