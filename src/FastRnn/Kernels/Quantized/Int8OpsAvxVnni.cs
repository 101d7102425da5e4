using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>
/// 256-bit int8 operations with AVX-VNNI: vpdpbusd sums the four u8×s8 products into the int32 lane in one
/// instruction. With no int16 step to saturate, the activations go in offset by 128 (x ⊕ 0x80 is x + 128 as an
/// unsigned byte) and the weights as they are, so a load costs one instruction instead of the sign trick's two; the
/// kernel subtracts 128 · Σ w per row afterwards (see <see cref="IInt8Ops{TAcc, TBytes}"/>).
/// </summary>
/// <remarks>.NET 10 exposes VNNI for 128/256-bit vectors (<see cref="AvxVnni"/>) but not the 512-bit AVX512-VNNI form,
/// so the AVX-512 set uses <see cref="Int8OpsAvx512"/>'s vpmaddubsw path.</remarks>
internal readonly struct Int8OpsAvxVnni : IInt8Ops<Vector256<int>, Vector256<sbyte>>
{
    public static bool IsSupported => AvxVnni.IsSupported && Avx2.IsSupported;

    public static int Width => Vector256<int>.Count;

    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> BroadcastQuad(int quad) => Vector256.Create(quad).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadQuads(ref int source) => Vector256.LoadUnsafe(ref source).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQuads(Vector256<sbyte> quads, ref int destination) => quads.AsInt32().StoreUnsafe(ref destination);

    public static int ActivationOffset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Magnitude(Vector256<sbyte> x) => x ^ Vector256.Create(sbyte.MinValue);

    public static Vector256<sbyte> Signs(Vector256<sbyte> x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadWeights(ref sbyte weights) => Vector256.LoadUnsafe(ref weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQuads(Vector256<int> acc, Vector256<sbyte> magnitude, Vector256<sbyte> signs, Vector256<sbyte> weights)
        => AvxVnni.MultiplyWideningAndAdd(acc, magnitude.AsByte(), weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref int source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> acc, ref int destination) => acc.StoreUnsafe(ref destination);
}
