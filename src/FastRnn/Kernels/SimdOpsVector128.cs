using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastRnn.Kernels;

/// <summary>
/// 128-bit operations through the portable <see cref="Vector128"/> API (SSE on x64, AdvSimd on Arm64):
/// eight vectors per 32-row panel column.
/// </summary>
internal readonly struct SimdOpsVector128 : ISimdOps<Vector128<float>>
{
    public static bool IsSupported => Vector128.IsHardwareAccelerated;

    public static int Width => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint elementOffset) => Vector128.LoadUnsafe(ref source, elementOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint elementOffset) => value.StoreUnsafe(ref destination, elementOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadBFloat16Pairs(ref ushort source, nuint elementOffset, Vector128<float> highMask, out Vector128<float> low, out Vector128<float> high)
    {
        Vector128<float> pairs = Vector128.LoadUnsafe(ref source, elementOffset).AsSingle();
        low = (pairs.AsUInt32() << 16).AsSingle();
        high = pairs & highMask;
    }

    public static Vector128<float> BFloat16HighMask => Vector128.Create(0xFFFF0000u).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    // MultiplyAddEstimate fuses where the CPU has FMA and otherwise multiplies then adds; Vector128.FusedMultiplyAdd
    // would fall back to a slow software emulation on CPUs without FMA, which is exactly where this path runs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    // The Native forms compile to a single minps/maxps, which returns its second operand when either is NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow2(Vector128<float> n) => Vector128.ShiftLeft(Vector128.ConvertToInt32(n) + Vector128.Create(127), 23).AsSingle();
}
