using FastRnn.Graph.Ops;

namespace FastRnn.Graph;

/// <summary>
/// Which (B, C, L) values are stored channels-last, as (B, L, C): the outputs of convolutions (and of the element-wise
/// functions after them) whose every reader can take that layout — another convolution, an element-wise function
/// passing it on, or a transpose. A convolution's products read and write (L, C) rows, so between two convolutions
/// the ONNX layout would cost a transpose out and a transpose back in per layer, and before a recurrent layer the
/// (L, B, C) transpose becomes a view.
/// </summary>
/// <remarks>
/// The logical shape of a value does not change, only its storage; graph inputs, outputs, recurrent state and
/// constants always keep the ONNX layout. A value is channels-last only if all of its readers agree, and an
/// element-wise function's input and output are both channels-last or neither: the set is found by removing values
/// that break a rule until none does.
/// </remarks>
internal static class GraphLayout
{
    /// <summary>For each value, whether it is stored as (B, L, C).</summary>
    public static bool[] ChannelsLast(GraphDefinition graph)
    {
        int count = graph.Values.Count;
        var producer = Enumerable.Repeat(-1, count).ToArray();
        var readers = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            foreach (int output in graph.Nodes[n].Outputs)
                producer[output] = n;
            foreach (int input in graph.Nodes[n].Inputs.Where(i => i >= 0).Distinct())
                readers[input].Add(n);
        }
        var fixedLayout = new HashSet<int>(graph.Inputs.Concat(graph.Outputs).Concat(graph.States.SelectMany(s => new[] { s.Input, s.Output })));

        var last = new bool[count];
        for (int v = 0; v < count; v++)
        {
            GraphValue value = graph.Values[v];
            last[v] = producer[v] >= 0 && value.Rank == 3 && value.Type == GraphElementType.Float32 && !fixedLayout.Contains(v)
                && !graph.Constants.ContainsKey(v) && graph.Nodes[producer[v]].Op is var op && (op == GraphOp.Conv1d || IsElementwise(op));
        }
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int v = 0; v < count; v++)
            {
                if (!last[v])
                    continue;
                GraphNode made = graph.Nodes[producer[v]];
                bool keep = (made.Op == GraphOp.Conv1d || last[made.Inputs[0]])
                    && readers[v].All(n => Reads(graph, graph.Nodes[n], v, last));
                if (!keep)
                {
                    last[v] = false;
                    changed = true;
                }
            }
        }
        return last;
    }

    private static bool IsElementwise(GraphOp op) => op is GraphOp.Relu or GraphOp.Sigmoid or GraphOp.Tanh or GraphOp.LeakyRelu
        or GraphOp.Gelu or GraphOp.Softplus or GraphOp.Sqrt or GraphOp.Abs or GraphOp.Exp or GraphOp.Log or GraphOp.Neg or GraphOp.Erf;

    // Whether node n can read value v stored channels-last.
    private static bool Reads(GraphDefinition graph, GraphNode node, int v, bool[] last)
    {
        if (IsElementwise(node.Op))
            return last[node.Outputs[0]];
        if (node.Op == GraphOp.Transpose)
            return true;
        if (node.Op != GraphOp.Conv1d || node.Inputs[0] != v || node.Inputs.Skip(1).Contains(v))
            return false;
        return Conv1dKernel.ReadsChannelsLast(node, graph);
    }
}
