using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>512-bit operations (AVX-512F): two vectors per 32-row panel column.</summary>
internal readonly struct SimdOpsAvx512 : ISimdOps<Vector512<float>>
{
    public static bool IsSupported => Avx512F.IsSupported;

    public static int Width => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint elementOffset) => Vector512.LoadUnsafe(ref source, elementOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint elementOffset) => value.StoreUnsafe(ref destination, elementOffset);

    // One 64-byte load, then a shift and a mask: two instructions per sixteen weights, neither a shuffle.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref ushort source, nuint elementOffset, Vector512<float> highMask, out Vector512<float> low, out Vector512<float> high)
    {
        Vector512<float> pairs = Vector512.LoadUnsafe(ref source, elementOffset).AsSingle();
        low = (pairs.AsUInt32() << 16).AsSingle();
        high = pairs & highMask;
    }

    public static Vector512<float> BFloat16HighMask => Vector512.Create(0xFFFF0000u).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    // The Native forms compile to a single minps/maxps, which returns its second operand when either is NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> a) => Vector512.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2(Vector512<float> n) => Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
}
