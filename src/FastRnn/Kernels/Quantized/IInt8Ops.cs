namespace FastRnn.Kernels;

/// <summary>
/// The integer operations of the int8 panel kernel, once per instruction set, as <see cref="ISimdOps{TVector}"/> is
/// for floats: <typeparamref name="TAcc"/> holds Width int32 sums (one per row), <typeparamref name="TBytes"/> the
/// 4·Width bytes of one load.
/// </summary>
/// <remarks>
/// The byte dot products available (vpmaddubsw, VNNI's vpdpbusd) multiply an <i>unsigned</i> byte by a signed one.
/// Activations are signed, so the kernels use the sign trick: |x| is the unsigned operand, and x's sign moves onto the
/// weight (w·sign(x), vpsignb or a masked negate). Both stay within ±127 — weights and activations are quantized
/// symmetrically, never to −128 — so vpmaddubsw's pairwise int16 sum is at most 2·127² = 32,258 and cannot saturate.
/// </remarks>
internal interface IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    /// <summary>Rows (int32 lanes) per accumulator.</summary>
    static abstract int Width { get; }

    static abstract TAcc Zero { get; }

    /// <summary>The four signed activation bytes of one column quad, in every 32-bit lane.</summary>
    static abstract TBytes BroadcastQuad(int quad);

    /// <summary>|x| per byte: the unsigned operand.</summary>
    static abstract TBytes Magnitude(TBytes x);

    /// <summary>What <see cref="DotQuads"/> needs to move x's signs onto the weights (x itself, or a negative mask).</summary>
    static abstract TBytes Signs(TBytes x);

    /// <summary>Width rows × 4 bytes of weights: one quad of a panel strip, loaded once and shared by every vector of a
    /// tile (see <see cref="Int8TileKernel{TOps, TAcc, TBytes}"/>).</summary>
    static abstract TBytes LoadWeights(ref sbyte weights);

    /// <summary>acc[r] += Σ_j |x_j| · (sign(x_j) · w[r, j]) over the quad, w being the Width rows × 4 bytes of <paramref name="weights"/>.</summary>
    static abstract TAcc DotQuads(TAcc acc, TBytes magnitude, TBytes signs, TBytes weights);

    /// <summary>Width int32 sums, to continue them (a tile resumes its sums from one K block to the next).</summary>
    static abstract TAcc Load(ref int source);

    static abstract void Store(TAcc acc, ref int destination);
}
