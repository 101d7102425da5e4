using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastRnn.Import;

/// <summary>Little-endian float16 / bfloat16 / float32 / float64 bytes to float32 (round to nearest for float64).</summary>
internal static class FloatConversion
{
    public static void FromF32(ReadOnlySpan<byte> source, Span<float> destination)
    {
        source.CopyTo(MemoryMarshal.AsBytes(destination));
        FixF32ByteOrder(destination);
    }

    /// <summary>Turns little-endian float32 bytes read in place into native floats (nothing to do on x64 and Arm64).</summary>
    public static void FixF32ByteOrder(Span<float> values)
    {
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(values), MemoryMarshal.Cast<float, int>(values));
    }

    public static void FromF16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(2 * i, 2));
    }

    // bfloat16 is the upper half of a float32, so widening is a shift.
    public static void FromBF16(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)) << 16);
    }

    public static void FromF64(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(8 * i, 8));
    }

    /// <summary>The converter for an element type and its size in bytes.</summary>
    public static (ConvertSpan Convert, int Size) For(FloatFormat format) => format switch
    {
        FloatFormat.F16 => (FromF16, 2),
        FloatFormat.BF16 => (FromBF16, 2),
        FloatFormat.F32 => (FromF32, 4),
        _ => (FromF64, 8),
    };

    public delegate void ConvertSpan(ReadOnlySpan<byte> source, Span<float> destination);
}

/// <summary>A floating-point element encoding that converts to float32.</summary>
internal enum FloatFormat
{
    F16,
    BF16,
    F32,
    F64,
}
