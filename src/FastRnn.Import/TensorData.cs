namespace FastRnn.Import;

/// <summary>
/// One tensor read from a weights file: its shape and its elements as float32, row-major (C order).
/// </summary>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="Data">The elements, row-major; its length is the product of <paramref name="Shape"/>.</param>
public sealed record TensorData(int[] Shape, float[] Data)
{
    /// <summary>The shape as PyTorch prints it, e.g. <c>(68, 17)</c> or <c>(3,)</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(ReadOnlySpan<int> shape)
        => shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape.ToArray())})";

    internal static string FormatShape(ReadOnlySpan<long> shape)
        => shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape.ToArray())})";

    /// <summary>The shape as ints, refusing a tensor too large for one array.</summary>
    internal static int[] CheckedShape(string file, string part, IReadOnlyList<long> shape, long count)
    {
        if (count > Array.MaxLength)
            throw ImportErrors.Malformed(file, part, $"has {count} elements; at most {Array.MaxLength} fit in one array");
        var result = new int[shape.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (shape[i] > int.MaxValue)
                throw ImportErrors.Malformed(file, part, $"has dimension {shape[i]}; dimensions above {int.MaxValue} are not supported");
            result[i] = (int)shape[i];
        }
        return result;
    }
}
