namespace FastRnn.Kernels;

/// <summary>
/// Per-thread buffers of the quantized products: the activations quantized for the current int8 product, and the
/// per-vector sums of a multi-vector product. Each thread (the caller and every worker of a team) quantizes the
/// vectors itself, which costs O(cols) against the product's O(rows · cols) and needs no hand-off; the buffers grow to
/// the largest product once and are reused, so a warmed-up step allocates nothing.
/// </summary>
internal static class QuantizedScratch
{
    [ThreadStatic] private static int[]? t_quads;
    [ThreadStatic] private static int[]? t_operands;
    [ThreadStatic] private static float[]? t_scales;
    [ThreadStatic] private static float[]? t_sums;
    [ThreadStatic] private static float[]? t_partials;
    [ThreadStatic] private static int[]? t_integerSums;

    public static Span<int> Quads(int length) => Grow(ref t_quads, length);

    /// <summary>What the kernels multiply, made of the quads (<see cref="Int8Operands"/>).</summary>
    public static Span<int> Operands(int length) => Grow(ref t_operands, length);

    public static Span<float> Scales(int length) => Grow(ref t_scales, length);

    /// <summary>32 float sums per vector of a panel.</summary>
    public static Span<float> Sums(int length) => Grow(ref t_sums, length);

    /// <summary>The bfloat16 kernel's per-vector column chains (<see cref="BFloat16TileKernel{TOps, TVector}.PartialsPerVector"/>).</summary>
    public static Span<float> Partials(int length) => Grow(ref t_partials, length);

    /// <summary>32 int32 sums per vector of a panel segment.</summary>
    public static Span<int> IntegerSums(int length) => Grow(ref t_integerSums, length);

    private static Span<T> Grow<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
            buffer = new T[Math.Max(length, 2 * (buffer?.Length ?? 0))];
        return buffer.AsSpan(0, length);
    }
}
