using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Kernels;

/// <summary>
/// Quantized activations turned into what the int8 kernels multiply, once per product: for activation quad q (four
/// bytes), the unsigned operand <c>Operand(q)</c> (|x| for the sign trick, x + 128 for VNNI's offset, see
/// <see cref="IInt8Ops{TAcc, TBytes}"/>) and the signs <c>Signs(q)</c> that move onto the weights (x, or a negative
/// mask where the instruction set has no vpsignb).
/// </summary>
/// <remarks>
/// The kernels used to derive both from x for every panel: per quad a broadcast, an abs, a compare and a mask move on
/// AVX-512, against two or four weight loads that reuse them. A product reads the same activations for every panel
/// (128 panels at LSTM 1024), so deriving them once and broadcasting both from memory (loads, no arithmetic) leaves
/// the arithmetic to the weights: on Zen 4 (AVX-512BW, no VNNI) the one-vector product over an 8 MiB matrix went from
/// 150 to 110 µs, 102 µs being a plain read of the same bytes. Integer sums are exact, so no result changes.
/// </remarks>
internal readonly ref struct Int8Operands
{
    private readonly ref int _operands;
    private readonly int _signsOffset;

    public Int8Operands(ref int operands, int signsOffset)
    {
        _operands = ref operands;
        _signsOffset = signsOffset;
    }

    /// <summary>The operands of quads [<paramref name="quad"/>, …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int8Operands From(int quad) => new(ref Unsafe.Add(ref _operands, quad), _signsOffset);

    /// <summary>Quad <paramref name="quad"/>'s unsigned operand (four bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Operand(int quad) => Unsafe.Add(ref _operands, quad);

    /// <summary>Quad <paramref name="quad"/>'s signs (four bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Signs(int quad) => Unsafe.Add(ref _operands, quad + _signsOffset);

    /// <summary>
    /// The operands of <paramref name="quads"/> for <typeparamref name="TOps"/>, in <paramref name="buffer"/> (at least
    /// 2 · quads.Length): operands first, then signs, each at the quad's own index, so strides carry over.
    /// </summary>
    public static Int8Operands Prepare<TOps, TAcc, TBytes>(ReadOnlySpan<int> quads, Span<int> buffer)
        where TOps : IInt8Ops<TAcc, TBytes>
        where TAcc : struct
        where TBytes : struct
    {
        int length = quads.Length;
        if (buffer.Length < 2 * length)
            throw new ArgumentException($"the operand buffer holds {buffer.Length} ints; {length} quads need {2 * length}", nameof(buffer));
        ref int source = ref MemoryMarshal.GetReference(quads);
        ref int operands = ref MemoryMarshal.GetReference(buffer);
        ref int signs = ref Unsafe.Add(ref operands, length);
        int width = TOps.Width, q = 0;
        for (; q <= length - width; q += width)
            Convert<TOps, TAcc, TBytes>(ref Unsafe.Add(ref source, q), ref Unsafe.Add(ref operands, q), ref Unsafe.Add(ref signs, q));
        if (q < length)
        {
            // The last few quads through one zero-padded vector, so every quad is converted by the same operations.
            Span<int> tail = stackalloc int[3 * 16];
            tail.Clear();
            quads[q..].CopyTo(tail);
            Convert<TOps, TAcc, TBytes>(ref tail[0], ref tail[16], ref tail[32]);
            tail.Slice(16, length - q).CopyTo(buffer[q..length]);
            tail.Slice(32, length - q).CopyTo(buffer.Slice(length + q, length - q));
        }
        return new Int8Operands(ref operands, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Convert<TOps, TAcc, TBytes>(ref int source, ref int operands, ref int signs)
        where TOps : IInt8Ops<TAcc, TBytes>
        where TAcc : struct
        where TBytes : struct
    {
        TBytes x = TOps.LoadQuads(ref source);
        TOps.StoreQuads(TOps.Magnitude(x), ref operands);
        TOps.StoreQuads(TOps.Signs(x), ref signs);
    }
}
