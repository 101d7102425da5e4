namespace FastRnn.Graph.Ops;

/// <summary>Picks the kernel of each operator: the one place an operator meets its implementation.</summary>
internal static class GraphKernels
{
    /// <param name="node">The node.</param>
    /// <param name="graph">Its graph, for the shapes and constants.</param>
    /// <param name="ownsOutput">Whether the output must have storage of its own (a graph output): a reshape then copies.</param>
    /// <param name="channelsLast">Which values are stored (B, L, C) (<see cref="GraphLayout"/>).</param>
    public static GraphKernel Create(GraphNode node, GraphDefinition graph, bool ownsOutput, bool[] channelsLast) => node.Op switch
    {
        GraphOp.Linear => new LinearKernel(node, graph),
        GraphOp.Conv1d => new Conv1dKernel(node, graph, channelsLast[node.Inputs[0]], channelsLast[node.Outputs[0]]),
        GraphOp.Embedding => new EmbeddingKernel(node, graph),
        GraphOp.Gather => new GatherKernel(node, graph, ownsOutput),
        GraphOp.Relu or GraphOp.Sigmoid or GraphOp.Tanh or GraphOp.LeakyRelu or GraphOp.Gelu or GraphOp.Softplus
            or GraphOp.Sqrt or GraphOp.Abs or GraphOp.Exp or GraphOp.Log or GraphOp.Neg or GraphOp.Erf => new UnaryKernel(node, graph),
        GraphOp.Add or GraphOp.Sub or GraphOp.Mul or GraphOp.Div or GraphOp.Pow => new BinaryKernel(node, graph),
        GraphOp.Softmax or GraphOp.LogSoftmax => new SoftmaxKernel(node, graph),
        GraphOp.LayerNorm => new LayerNormKernel(node, graph),
        GraphOp.ReduceMean or GraphOp.ReduceSum or GraphOp.ReduceMax => new ReduceKernel(node, graph),
        GraphOp.Pad => new PadKernel(node, graph),
        GraphOp.Concat => new ConcatKernel(node, graph),
        GraphOp.Slice or GraphOp.Transpose => new StridedCopyKernel(node, graph, ownsOutput, channelsLast[node.Inputs[0]]),
        GraphOp.Reshape when ownsOutput => new CopyKernel(node, graph),
        GraphOp.Reshape => new ViewKernel(node, graph),
        GraphOp.Copy => new CopyKernel(node, graph),
        GraphOp.Lstm or GraphOp.Gru or GraphOp.Rnn => new RecurrentKernel(node, graph),
        _ => throw new InvalidOperationException($"operator {node.Op} has no kernel"),
    };
}
