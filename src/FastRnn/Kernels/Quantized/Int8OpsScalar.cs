using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>One row at a time, with plain signed products: the scalar twin of the int8 operations.</summary>
internal readonly struct Int8OpsScalar : IInt8Ops<int, int>
{
    public static int Width => 1;

    public static int Zero => 0;

    public static int BroadcastQuad(int quad) => quad;

    public static int Magnitude(int x) => x;

    public static int Signs(int x) => x;

    // Signed times signed directly: the reference for what the sign trick computes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotQuads(int acc, int magnitude, int signs, ref sbyte weights)
        => acc + (sbyte)signs * weights + (sbyte)(signs >> 8) * Unsafe.Add(ref weights, 1)
            + (sbyte)(signs >> 16) * Unsafe.Add(ref weights, 2) + (sbyte)(signs >> 24) * Unsafe.Add(ref weights, 3);

    public static void Store(int acc, ref int destination) => destination = acc;
}
