namespace FastRnn.Import;

/// <summary>
/// A tensor whose values the importer knows: an initializer, a Constant node's value, or one folded from them.
/// Floating-point types are held as float32, integer types as int64.
/// </summary>
internal sealed class ConstTensor
{
    private ConstTensor(long[] shape, float[]? floats, long[]? ints)
    {
        Shape = shape;
        Floats = floats;
        Ints = ints;
    }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public long[] Shape { get; }

    /// <summary>The elements of a floating-point tensor, row-major; null for an integer tensor.</summary>
    public float[]? Floats { get; }

    /// <summary>The elements of an integer (or bool) tensor, row-major; null for a floating-point tensor.</summary>
    public long[]? Ints { get; }

    public int Count => Floats?.Length ?? Ints!.Length;

    public bool IsFloat => Floats is not null;

    public bool IsAllZero => Floats is { } f ? f.All(v => v == 0f) : Ints!.All(v => v == 0);

    public string ShapeText => TensorData.FormatShape(Shape);

    public static ConstTensor Float(long[] shape, float[] data) => new(shape, data, null);

    public static ConstTensor Int(long[] shape, long[] data) => new(shape, null, data);

    /// <summary>The same elements as int64 (floats truncated toward zero, as ONNX Cast does).</summary>
    public long[] AsInts() => Ints ?? Floats!.Select(f => (long)f).ToArray();

    public float[] AsFloats() => Floats ?? Ints!.Select(i => (float)i).ToArray();

    public ConstTensor WithShape(long[] shape) => new(shape, Floats, Ints);

    /// <summary>A tensor of <paramref name="shape"/> whose element i is element <c>source(i)</c> of this one.</summary>
    public ConstTensor Gather(long[] shape, Func<long[], long> source)
    {
        int count = checked((int)shape.Aggregate(1L, (p, d) => p * d));
        var index = new long[shape.Length];
        var from = new int[count];
        for (int i = 0; i < count; i++)
        {
            long flat = i;
            for (int k = shape.Length - 1; k >= 0; k--)
            {
                index[k] = flat % shape[k];
                flat /= shape[k];
            }
            from[i] = (int)source(index);
        }
        return Floats is { } f
            ? Float(shape, from.Select(j => f[j]).ToArray())
            : Int(shape, from.Select(j => Ints![j]).ToArray());
    }

    /// <summary>The row-major position of <paramref name="index"/> in this tensor.</summary>
    public long Flat(ReadOnlySpan<long> index)
    {
        long flat = 0;
        for (int k = 0; k < Shape.Length; k++)
            flat = flat * Shape[k] + index[k];
        return flat;
    }

    /// <summary>Whether the shape is exactly <paramref name="shape"/>.</summary>
    public bool HasShape(params long[] shape) => Shape.AsSpan().SequenceEqual(shape);
}
