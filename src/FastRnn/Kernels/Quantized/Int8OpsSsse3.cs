using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Kernels;

/// <summary>128-bit int8 operations (SSSE3 psignb + pmaddubsw, SSE2 pmaddwd): four rows per accumulator.</summary>
internal readonly struct Int8OpsSsse3 : IInt8Ops<Vector128<int>, Vector128<sbyte>>
{
    public static bool IsSupported => Ssse3.IsSupported;

    public static int Width => Vector128<int>.Count;

    public static Vector128<int> Zero => Vector128<int>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> BroadcastQuad(int quad) => Vector128.Create(quad).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> LoadQuads(ref int source) => Vector128.LoadUnsafe(ref source).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreQuads(Vector128<sbyte> quads, ref int destination) => quads.AsInt32().StoreUnsafe(ref destination);

    public static int ActivationOffset => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> Magnitude(Vector128<sbyte> x) => Ssse3.Abs(x).AsSByte();

    public static Vector128<sbyte> Signs(Vector128<sbyte> x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<sbyte> LoadWeights(ref sbyte weights) => Vector128.LoadUnsafe(ref weights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotQuads(Vector128<int> acc, Vector128<sbyte> magnitude, Vector128<sbyte> signs, Vector128<sbyte> weights)
    {
        Vector128<sbyte> signed = Ssse3.Sign(weights, signs);
        Vector128<short> pairs = Ssse3.MultiplyAddAdjacent(magnitude.AsByte(), signed);
        return acc + Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> a, Vector128<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Load(ref int source) => Vector128.LoadUnsafe(ref source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<int> acc, ref int destination) => acc.StoreUnsafe(ref destination);
}
