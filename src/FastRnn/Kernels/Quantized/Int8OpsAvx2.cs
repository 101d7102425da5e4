using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>256-bit int8 operations (AVX2 vpsignb + vpmaddubsw + vpmaddwd): eight rows per accumulator.</summary>
internal readonly struct Int8OpsAvx2 : IInt8Ops<Vector256<int>, Vector256<sbyte>>
{
    public static bool IsSupported => Avx2.IsSupported;

    public static int Width => Vector256<int>.Count;

    public static Vector256<int> Zero => Vector256<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> BroadcastQuad(int quad) => Vector256.Create(quad).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadQuads(ref int source) => Vector256.LoadUnsafe(ref source).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQuads(Vector256<sbyte> quads, ref int destination) => quads.AsInt32().StoreUnsafe(ref destination);

    public static int ActivationOffset => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Magnitude(Vector256<sbyte> x) => Avx2.Abs(x).AsSByte();

    public static Vector256<sbyte> Signs(Vector256<sbyte> x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> LoadWeights(ref sbyte weights) => Vector256.LoadUnsafe(ref weights);

    // Three instructions per 32 weights; the int16 pair sums cannot saturate (see IInt8Ops).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotQuads(Vector256<int> acc, Vector256<sbyte> magnitude, Vector256<sbyte> signs, Vector256<sbyte> weights)
    {
        Vector256<sbyte> signed = Avx2.Sign(weights, signs);
        Vector256<short> pairs = Avx2.MultiplyAddAdjacent(magnitude.AsByte(), signed);
        return acc + Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref int source) => Vector256.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> acc, ref int destination) => acc.StoreUnsafe(ref destination);
}
