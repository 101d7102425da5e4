namespace FastRnn.Kernels;

/// <summary>
/// The handful of vector operations the panel kernel needs, implemented once per instruction set.
/// </summary>
/// <remarks>
/// The kernel is written once, generic over a struct implementing this interface; the JIT specialises and inlines
/// it per struct, so each instruction set gets its own machine code while sharing one tested algorithm. This is how
/// the AVX-512 variant, which this project's CI machines cannot execute, shares its logic with the AVX2 and
/// Vector128 variants that they do.
/// </remarks>
internal interface ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Width { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Load(ref float source, nuint elementOffset);

    static abstract void Store(TVector value, ref float destination, nuint elementOffset);

    /// <summary>
    /// 2 · Width bfloat16 values, stored in pairs (see <see cref="BFloat16Panels"/>), widened to float: the first of each
    /// pair into <paramref name="low"/>, the second into <paramref name="high"/>. A bfloat16 is the upper half of a
    /// binary32, so a pair read as one 32-bit lane is widened by a 16-bit shift (the first) and a mask (the second),
    /// both exact, with no zero-extending shuffle. <paramref name="highMask"/> is <see cref="BFloat16HighMask"/>, taken
    /// by the caller outside its loop: created inside, the JIT loaded the constant again on every iteration.
    /// </summary>
    static abstract void LoadBFloat16Pairs(ref ushort source, nuint elementOffset, TVector highMask, out TVector low, out TVector high);

    /// <summary>Every lane 0xFFFF0000 (as float bits): the mask that widens the second bfloat16 of a pair.</summary>
    static abstract TVector BFloat16HighMask { get; }

    static abstract TVector Broadcast(float value);

    /// <summary>a * b + c; fused where the hardware has FMA.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    static abstract TVector Add(TVector a, TVector b);

    static abstract TVector Subtract(TVector a, TVector b);

    static abstract TVector Multiply(TVector a, TVector b);

    static abstract TVector Divide(TVector a, TVector b);

    /// <summary>The smaller of a and b; NaN in <paramref name="b"/> propagates (the hardware min's rule).</summary>
    static abstract TVector Min(TVector a, TVector b);

    /// <summary>The larger of a and b; NaN in <paramref name="b"/> propagates.</summary>
    static abstract TVector Max(TVector a, TVector b);

    /// <summary>Round to the nearest integer, ties to even.</summary>
    static abstract TVector Round(TVector a);

    /// <summary>The sum of the lanes (a horizontal add; its order is the hardware's, fixed per width).</summary>
    static abstract float Sum(TVector a);

    /// <summary>2^n for integral n in [−126, 127], built directly in the exponent field.</summary>
    static abstract TVector Pow2(TVector n);
}
