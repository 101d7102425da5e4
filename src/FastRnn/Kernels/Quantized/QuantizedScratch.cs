namespace FastRnn.Kernels;

/// <summary>
/// Per-thread buffers of the int8 products: the activations quantized for the current product. Each thread (the
/// caller and every worker of a team) quantizes the vectors itself, which costs O(cols) against the product's
/// O(rows · cols) and needs no hand-off; the buffers grow to the largest product once and are reused, so a warmed-up
/// step allocates nothing.
/// </summary>
internal static class QuantizedScratch
{
    [ThreadStatic] private static int[]? t_quads;
    [ThreadStatic] private static float[]? t_scales;

    public static Span<int> Quads(int length) => Grow(ref t_quads, length);

    public static Span<float> Scales(int length) => Grow(ref t_scales, length);

    private static Span<T> Grow<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
            buffer = new T[Math.Max(length, 2 * (buffer?.Length ?? 0))];
        return buffer.AsSpan(0, length);
    }
}
