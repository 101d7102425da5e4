namespace FastRnn.Kernels;

/// <summary>
/// The conversions from float32 weights: bfloat16 by round-to-nearest-even, int8 by symmetric per-row scaling. The
/// file converter and the tests use these same functions, so a matrix quantized on load equals one read from a file.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>The largest int8 magnitude used: ±127, never −128, so negating a weight (the sign trick of the int8
    /// kernels) cannot overflow and two products of magnitudes stay below the int16 limit (2 · 127² = 32,258).</summary>
    public const int Int8Limit = 127;

    /// <summary>binary32 → bfloat16, rounding to nearest with ties to even; NaN stays a (quiet) NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    public static void ToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++)
            destination[i] = ToBFloat16(source[i]);
    }

    public static void WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
            destination[i] = FromBFloat16(source[i]);
    }

    /// <summary>
    /// Row r of the row-major (rows, cols) <paramref name="source"/> becomes round(W[r, k] / s_r) with
    /// s_r = max_k |W[r, k]| / 127 (0 for an all-zero row, whose bytes are then 0).
    /// </summary>
    public static void ToInt8(ReadOnlySpan<float> source, int rows, int cols, Span<sbyte> destination, Span<float> scales)
    {
        for (int r = 0; r < rows; r++)
            scales[r] = QuantizeVector(source.Slice(r * cols, cols), destination.Slice(r * cols, cols));
    }

    /// <summary>Symmetric quantization of one vector to ±127; returns its scale (value ≈ byte · scale).</summary>
    public static float QuantizeVector(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        float max = 0f;
        foreach (float v in source)
            max = MathF.Max(max, MathF.Abs(v));
        if (!(max > 0f) || !float.IsFinite(max))
        {
            // All zeros quantize to zeros. A NaN or infinite weight has no finite scale; it is refused by the caller
            // that converts files, and here yields a NaN scale so the product turns NaN instead of silently finite.
            destination.Clear();
            return max > 0f || float.IsNaN(max) ? float.NaN : 0f;
        }
        float scale = max / Int8Limit;
        float inverse = Int8Limit / max;
        for (int i = 0; i < source.Length; i++)
            destination[i] = (sbyte)Math.Clamp((int)MathF.Round(source[i] * inverse, MidpointRounding.ToEven), -Int8Limit, Int8Limit);
        return scale;
    }
}
