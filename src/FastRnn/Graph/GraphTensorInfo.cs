namespace FastRnn.Graph;

/// <summary>A named graph input or output: its element type and its fixed shape (outermost first, row-major).</summary>
/// <param name="Name">The name the graph gives it (an ONNX graph's input or output name).</param>
/// <param name="ElementType">Float32, or Int64 for index inputs.</param>
/// <param name="Shape">Its dimensions; fixed when the model was converted.</param>
public sealed record GraphTensorInfo(string Name, GraphElementType ElementType, IReadOnlyList<int> Shape)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length => Shape.Aggregate(1, (p, d) => p * d);

    /// <summary>The shape as text, e.g. <c>[2, 1, 128]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
