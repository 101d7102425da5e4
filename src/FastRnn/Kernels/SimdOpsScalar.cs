using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The same operations on one float at a time: the scalar twin of the vector structs. Generic code instantiated with
/// it is the scalar reference, and handles the tail that does not fill a vector.
/// </summary>
internal readonly struct SimdOpsScalar : ISimdOps<float>
{
    public static int Width => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float source, nuint elementOffset) => Unsafe.Add(ref source, elementOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float value, ref float destination, nuint elementOffset) => Unsafe.Add(ref destination, elementOffset) = value;

    /// <summary>One bfloat16 widened to float (exact): what the scalar twin reads, element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadBFloat16(ref ushort source, nuint elementOffset) => BitConverter.Int32BitsToSingle(Unsafe.Add(ref source, elementOffset) << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref ushort source, nuint elementOffset, float highMask, out float low, out float high)
    {
        low = LoadBFloat16(ref source, elementOffset);
        high = LoadBFloat16(ref source, elementOffset + 1);
    }

    // Unused: the scalar widening shifts each value on its own.
    public static float BFloat16HighMask => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;

    // Not fused: without an FMA instruction MathF.FusedMultiplyAdd is a slow library call, and the scalar path is
    // the one that runs on exactly such CPUs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) => (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float a, float b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float a, float b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Min(float a, float b) => float.IsNaN(b) ? b : MathF.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float a, float b) => float.IsNaN(b) ? b : MathF.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float a) => MathF.Round(a, MidpointRounding.ToEven);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(float a) => a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Pow2(float n) => BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
}
