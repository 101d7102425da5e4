using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>
/// 512-bit int8 operations (AVX-512BW vpmaddubsw + vpmaddwd): sixteen rows per accumulator. AVX-512 has no vpsignb,
/// so the sign moves onto the weight as a masked two's-complement negate, (w ⊕ m) − m with m = −1 where x &lt; 0,
/// the mask being computed once per quad.
/// </summary>
internal readonly struct Int8OpsAvx512 : IInt8Ops<Vector512<int>, Vector512<sbyte>>
{
    public static bool IsSupported => Avx512BW.IsSupported;

    public static int Width => Vector512<int>.Count;

    public static Vector512<int> Zero => Vector512<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> BroadcastQuad(int quad) => Vector512.Create(quad).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> LoadQuads(ref int source) => Vector512.LoadUnsafe(ref source).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQuads(Vector512<sbyte> quads, ref int destination) => quads.AsInt32().StoreUnsafe(ref destination);

    public static int ActivationOffset => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Magnitude(Vector512<sbyte> x) => Vector512.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Signs(Vector512<sbyte> x) => Vector512.LessThan(x, Vector512<sbyte>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> LoadWeights(ref sbyte weights) => Vector512.LoadUnsafe(ref weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> DotQuads(Vector512<int> acc, Vector512<sbyte> magnitude, Vector512<sbyte> signs, Vector512<sbyte> weights)
    {
        Vector512<sbyte> signed = (weights ^ signs) - signs;
        Vector512<short> pairs = Avx512BW.MultiplyAddAdjacent(magnitude.AsByte(), signed);
        return acc + Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Add(Vector512<int> a, Vector512<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Load(ref int source) => Vector512.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<int> acc, ref int destination) => acc.StoreUnsafe(ref destination);
}
