using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>One row at a time, with plain signed products: the scalar twin of the int8 operations.</summary>
internal readonly struct Int8OpsScalar : IInt8Ops<int, int>
{
    public static int Width => 1;

    public static int Zero => 0;

    public static int BroadcastQuad(int quad) => quad;

    public static int LoadQuads(ref int source) => source;

    public static void StoreQuads(int quads, ref int destination) => destination = quads;

    public static int ActivationOffset => 0;

    public static int Magnitude(int x) => x;

    public static int Signs(int x) => x;

    // The row's four bytes as one int, read as the activations' quads are packed (a span of ints viewed as bytes), so
    // that byte j of both is column j of the quad.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadWeights(ref sbyte weights) => Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref weights));

    // Signed times signed directly: the reference for what the sign trick computes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotQuads(int acc, int magnitude, int signs, int weights)
        => acc + (sbyte)signs * (sbyte)weights + (sbyte)(signs >> 8) * (sbyte)(weights >> 8)
            + (sbyte)(signs >> 16) * (sbyte)(weights >> 16) + (sbyte)(signs >> 24) * (sbyte)(weights >> 24);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Add(int a, int b) => a + b;

    public static int Load(ref int source) => source;

    public static void Store(int acc, ref int destination) => destination = acc;
}
