using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>256-bit operations (AVX2 + FMA): four vectors per 32-row panel column.</summary>
internal readonly struct SimdOpsAvx2 : ISimdOps<Vector256<float>>
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static int Width => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint elementOffset) => Vector256.LoadUnsafe(ref source, elementOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint elementOffset) => value.StoreUnsafe(ref destination, elementOffset);

    // One 32-byte load, then a shift and a mask: two instructions per eight weights, neither a shuffle.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref ushort source, nuint elementOffset, Vector256<float> highMask, out Vector256<float> low, out Vector256<float> high)
    {
        Vector256<float> pairs = Vector256.LoadUnsafe(ref source, elementOffset).AsSingle();
        low = (pairs.AsUInt32() << 16).AsSingle();
        high = pairs & highMask;
    }

    public static Vector256<float> BFloat16HighMask => Vector256.Create(0xFFFF0000u).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    // The Native forms compile to a single minps/maxps, which returns its second operand when either is NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> a) => Vector256.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow2(Vector256<float> n) => Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
}
