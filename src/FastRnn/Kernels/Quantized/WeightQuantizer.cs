using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// <remarks>Runs on every int8 product for its activations, so both passes are vectorized; the vector loop computes
    /// exactly what the scalar tail does (float32 multiply, round half to even, clamp).</remarks>
    public static float QuantizeVector(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        // MaxMagnitude returns the element of largest magnitude (NaN if there is one).
        float max = source.IsEmpty ? 0f : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(source));
        if (!(max > 0f) || !float.IsFinite(max))
        {
            // All zeros quantize to zeros. A NaN or infinite weight has no finite scale; it is refused by the caller
            // that converts files, and here yields a NaN scale so the product turns NaN instead of silently finite.
            destination[..source.Length].Clear();
            return max > 0f || float.IsNaN(max) ? float.NaN : 0f;
        }
        float scale = max / Int8Limit;
        float inverse = Int8Limit / max;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> factor = Vector256.Create(inverse), limit = Vector256.Create((float)Int8Limit);
            ref float src = ref MemoryMarshal.GetReference(source);
            ref sbyte dst = ref MemoryMarshal.GetReference(destination);
            for (; i + 32 <= source.Length; i += 32)
            {
                // Rounded and clamped in float, the values are exact integers within ±127, so each narrowing is exact.
                Vector256<int> q0 = Quantize(Vector256.LoadUnsafe(ref src, (nuint)i), factor, limit);
                Vector256<int> q1 = Quantize(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)), factor, limit);
                Vector256<int> q2 = Quantize(Vector256.LoadUnsafe(ref src, (nuint)(i + 16)), factor, limit);
                Vector256<int> q3 = Quantize(Vector256.LoadUnsafe(ref src, (nuint)(i + 24)), factor, limit);
                Vector256<sbyte> bytes = Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3));
                bytes.StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
            destination[i] = (sbyte)Math.Clamp(MathF.Round(source[i] * inverse, MidpointRounding.ToEven), -Int8Limit, Int8Limit);
        return scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quantize(Vector256<float> v, Vector256<float> factor, Vector256<float> limit)
        => Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(v * factor), -limit, limit));
}
