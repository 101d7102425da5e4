namespace FastRnn.Kernels;

/// <summary>
/// How many vectors one micro-tile multiplies — rows of X in <see cref="GemmKernel{TOps, TVector}"/>, vectors in the
/// quantized tile kernels — as a type: each size is its own
/// generic instantiation, so the JIT folds <see cref="Count"/> to a constant and drops the accumulators of the vectors a
/// smaller tile does not have. A batch of two (or the two vectors left after whole tiles) then costs two vectors'
/// work, not a whole tile's.
/// </summary>
internal interface ITileVectors
{
    static abstract int Count { get; }
}

internal readonly struct OneVector : ITileVectors
{
    public static int Count => 1;
}

internal readonly struct TwoVectors : ITileVectors
{
    public static int Count => 2;
}

internal readonly struct ThreeVectors : ITileVectors
{
    public static int Count => 3;
}

internal readonly struct FourVectors : ITileVectors
{
    public static int Count => 4;
}

internal readonly struct FiveVectors : ITileVectors
{
    public static int Count => 5;
}

internal readonly struct SixVectors : ITileVectors
{
    public static int Count => 6;
}
