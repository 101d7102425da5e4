namespace FastRnn.Kernels;

/// <summary>
/// The integer operations of the int8 panel kernel, once per instruction set, as <see cref="ISimdOps{TVector}"/> is
/// for floats: <typeparamref name="TAcc"/> holds Width int32 sums (one per row), <typeparamref name="TBytes"/> the
/// 4·Width bytes of one load.
/// </summary>
/// <remarks>
/// <para>The byte dot products available (vpmaddubsw, VNNI's vpdpbusd) multiply an <i>unsigned</i> byte by a signed
/// one. Activations are signed, so the vpmaddubsw kernels use the sign trick: |x| is the unsigned operand, and x's sign
/// moves onto the weight (w·sign(x), vpsignb or a masked negate). Both stay within ±127 — weights and activations are
/// quantized symmetrically, never to −128 — so vpmaddubsw's pairwise int16 sum is at most 2·127² = 32,258 and cannot
/// saturate.</para>
/// <para>vpdpbusd has no int16 step, so VNNI instead offsets the activations: x + 128 is the unsigned operand and the
/// weights go in as they are, one instruction per load. The sums then carry 128 · Σ_k w[r, k], which the kernels
/// subtract once per panel with the segment's row sums (<see cref="Int8Segment.RowSums"/>); the integers stay exact
/// (int32 arithmetic wraps, and the true sum fits), so every variant still equals the scalar twin to the bit.</para>
/// </remarks>
internal interface IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    /// <summary>Rows (int32 lanes) per accumulator.</summary>
    static abstract int Width { get; }

    static abstract TAcc Zero { get; }

    /// <summary>Four bytes (a quad of activations, or of what <see cref="Magnitude"/> and <see cref="Signs"/> made of one), in every 32-bit lane.</summary>
    static abstract TBytes BroadcastQuad(int quad);

    /// <summary>Width consecutive quads, as they are (for <see cref="Int8Operands.Prepare"/>).</summary>
    static abstract TBytes LoadQuads(ref int source);

    /// <summary>Width consecutive quads, stored as they are.</summary>
    static abstract void StoreQuads(TBytes quads, ref int destination);

    /// <summary>What the unsigned operand adds to x per byte: 0 for the sign trick, 128 for the offset (see remarks).</summary>
    static abstract int ActivationOffset { get; }

    /// <summary>The unsigned operand per byte: |x| for the sign trick, x + 128 for the offset (bytewise, applied once per
    /// product by <see cref="Int8Operands.Prepare"/>).</summary>
    static abstract TBytes Magnitude(TBytes x);

    /// <summary>What <see cref="DotQuads"/> needs to move x's signs onto the weights (x itself, or a negative mask; unused
    /// with the offset).</summary>
    static abstract TBytes Signs(TBytes x);

    /// <summary>Width rows × 4 bytes of weights: one quad of a panel strip, loaded once and shared by every vector of a
    /// tile (see <see cref="Int8TileKernel{TOps, TAcc, TBytes}"/>).</summary>
    static abstract TBytes LoadWeights(ref sbyte weights);

    /// <summary>acc[r] += Σ_j |x_j| · (sign(x_j) · w[r, j]) over the quad — or Σ_j (x_j + 128) · w[r, j] with the offset —
    /// w being the Width rows × 4 bytes of <paramref name="weights"/>.</summary>
    static abstract TAcc DotQuads(TAcc acc, TBytes magnitude, TBytes signs, TBytes weights);

    /// <summary>Lane-wise int32 sum (wrapping, as every int32 sum here; the true sums fit).</summary>
    static abstract TAcc Add(TAcc a, TAcc b);

    /// <summary>Width int32 sums, to continue them (a tile resumes its sums from one K block to the next).</summary>
    static abstract TAcc Load(ref int source);

    static abstract void Store(TAcc acc, ref int destination);
}
