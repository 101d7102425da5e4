using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastRnn.Format;

/// <summary>
/// CRC-32C of long inputs by carry-less multiplication (VPCLMULQDQ over 512- or 256-bit vectors): four vectors of the
/// input are folded forward onto the next four at every step, so a 32 MiB model's checksum reads at memory speed
/// instead of the CRC32 instruction's 8 bytes per cycle. The result is the state the byte-by-byte update gives.
/// </summary>
/// <remarks>
/// <para>The algebra. In the reflected CRC the first bit of the input is the highest power of x, so a 16-byte block
/// whose bits (as a little-endian 128-bit integer) are a₀…a₁₂₇ is the polynomial A(x) = Σ aₘ x^(127−m): its low qword
/// H and high qword L give A = H·x⁶⁴ + L, each qword read the same way (bit j ↔ x^(63−j)). A carry-less product of two
/// qwords read so is their polynomial product times x (bit t of the 128-bit product ↔ x^(126−t), one short of the
/// block's x^(127−t)). A CRC with state 0 depends only on the input polynomial modulo P, the CRC-32C polynomial; so a
/// block D bits ahead of another can be replaced by A·x^D mod P, which is
/// H·(x^(D+63) mod P)·x + L·(x^(D−1) mod P)·x — two carry-less products with 32-bit constants, 96 bits together, XORed
/// into the later block. Folding every block onto the last one leaves one block R ≡ the input (mod P), and the CRC of
/// R's 16 bytes with state 0 is the CRC of the input. A running state s enters as an XOR into the first four bytes
/// (the reflected update XORs the state into the next bytes), after which the state is 0.</para>
/// <para>The loop keeps four accumulators (vpclmulqdq has a latency of several cycles), each folding 4 × the vector
/// width ahead; they are then folded onto one another, and the vector's blocks onto its last block.</para>
/// </remarks>
internal static class Crc32CFold
{
    /// <summary>The shortest input folded: below it the lanes of the CRC32 instruction are as fast.</summary>
    public const int MinimumBytes = 1024;

    /// <summary>Whether this CPU folds (VPCLMULQDQ with 256-bit vectors at least).</summary>
    public static bool IsSupported => Pclmulqdq.V256.IsSupported;

    // Per 128-bit block: [x^(D+63) mod P, x^(D−1) mod P] for a fold D bits ahead, each as a qword read as above.
    private static readonly Vector128<ulong> s_ahead128 = Constants(128), s_ahead256 = Constants(256), s_ahead384 = Constants(384),
        s_ahead512 = Constants(512), s_ahead1024 = Constants(1024), s_ahead2048 = Constants(2048);

    /// <summary>
    /// Folds the longest prefix of <paramref name="data"/> that is a whole number of four-vector groups (at least two)
    /// into <paramref name="state"/>; returns the new state and sets <paramref name="consumed"/> to the prefix length.
    /// Needs <see cref="IsSupported"/> and at least <see cref="MinimumBytes"/>.
    /// </summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data, out int consumed)
    {
        if (data.Length < MinimumBytes || !IsSupported)
            throw new InvalidOperationException("folding needs VPCLMULQDQ and at least MinimumBytes"); // unreachable: checked by Crc32C
        return Pclmulqdq.V512.IsSupported && Avx512F.IsSupported
            ? Fold<Lanes512, Vector512<ulong>>(state, data, out consumed)
            : Fold<Lanes256, Vector256<ulong>>(state, data, out consumed);
    }

    private static uint Fold<TLanes, TVector>(uint state, ReadOnlySpan<byte> data, out int consumed)
        where TLanes : ILanes<TVector>
        where TVector : struct
    {
        int group = 4 * TLanes.Bytes;
        ref byte at = ref MemoryMarshal.GetReference(data);
        TVector a0 = TLanes.WithState(TLanes.Load(ref at), state), a1 = TLanes.Load(ref Unsafe.Add(ref at, TLanes.Bytes)),
            a2 = TLanes.Load(ref Unsafe.Add(ref at, 2 * TLanes.Bytes)), a3 = TLanes.Load(ref Unsafe.Add(ref at, 3 * TLanes.Bytes));
        TVector ahead = TLanes.Broadcast(TLanes.GroupAhead);
        int i = group;
        for (; i <= data.Length - group; i += group)
        {
            ref byte next = ref Unsafe.Add(ref at, i);
            a0 = TLanes.Fold(a0, ahead, TLanes.Load(ref next));
            a1 = TLanes.Fold(a1, ahead, TLanes.Load(ref Unsafe.Add(ref next, TLanes.Bytes)));
            a2 = TLanes.Fold(a2, ahead, TLanes.Load(ref Unsafe.Add(ref next, 2 * TLanes.Bytes)));
            a3 = TLanes.Fold(a3, ahead, TLanes.Load(ref Unsafe.Add(ref next, 3 * TLanes.Bytes)));
        }
        consumed = i;
        TVector vector = TLanes.Broadcast(TLanes.VectorAhead);
        TVector folded = TLanes.Fold(TLanes.Fold(TLanes.Fold(a0, vector, a1), vector, a2), vector, a3);
        Vector128<ulong> last = TLanes.FoldBlocks(folded);
        return BitOperations.Crc32C(BitOperations.Crc32C(0u, last.GetElement(0)), last.GetElement(1));
    }

    /// <summary>Block A folded D bits ahead (constants for D) and XORed into <paramref name="onto"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> block, Vector128<ulong> ahead, Vector128<ulong> onto)
        => Pclmulqdq.CarrylessMultiply(block, ahead, 0x00) ^ Pclmulqdq.CarrylessMultiply(block, ahead, 0x11) ^ onto;

    private static Vector128<ulong> Constants(int distance) => Vector128.Create(Qword(XPowerModP(distance + 63)), Qword(XPowerModP(distance - 1)));

    // x^e mod P, P = x³² + 0x1EDC6F41 (CRC-32C, not reflected): bit d is the coefficient of x^d.
    private static uint XPowerModP(int e)
    {
        ulong r = 1;
        for (int k = 0; k < e; k++)
        {
            r <<= 1;
            if ((r & (1UL << 32)) != 0)
                r ^= 0x1_1EDC_6F41UL;
        }
        return (uint)r;
    }

    // A polynomial of degree < 32 as a qword read the reflected way: x^d at bit 63 − d.
    private static ulong Qword(uint polynomial) => ReverseBits((ulong)polynomial);

    private static ulong ReverseBits(ulong v)
    {
        ulong r = 0;
        for (int b = 0; b < 64; b++)
            r |= ((v >> b) & 1) << (63 - b);
        return r;
    }

    /// <summary>The vector width's operations; the folding loop is written once over them.</summary>
    private interface ILanes<TVector>
    {
        static abstract int Bytes { get; }

        /// <summary>The constants of a fold four vectors ahead (the loop's step).</summary>
        static abstract Vector128<ulong> GroupAhead { get; }

        /// <summary>The constants of a fold one vector ahead (joining the accumulators).</summary>
        static abstract Vector128<ulong> VectorAhead { get; }

        static abstract TVector Load(ref byte at);

        static abstract TVector WithState(TVector first, uint state);

        static abstract TVector Broadcast(Vector128<ulong> constants);

        /// <summary>Every block of <paramref name="blocks"/> folded by the constants and XORed into <paramref name="onto"/>.</summary>
        static abstract TVector Fold(TVector blocks, TVector ahead, TVector onto);

        /// <summary>The vector's blocks folded onto its last one.</summary>
        static abstract Vector128<ulong> FoldBlocks(TVector blocks);
    }

    private readonly struct Lanes512 : ILanes<Vector512<ulong>>
    {
        public static int Bytes => 64;

        public static Vector128<ulong> GroupAhead => s_ahead2048;

        public static Vector128<ulong> VectorAhead => s_ahead512;

        public static Vector512<ulong> Load(ref byte at) => Vector512.LoadUnsafe(ref at).AsUInt64();

        public static Vector512<ulong> WithState(Vector512<ulong> first, uint state) => first ^ Vector512.CreateScalar((ulong)state);

        public static Vector512<ulong> Broadcast(Vector128<ulong> constants) => Vector512.Create(Vector256.Create(constants, constants), Vector256.Create(constants, constants));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<ulong> Fold(Vector512<ulong> blocks, Vector512<ulong> ahead, Vector512<ulong> onto)
            => Avx512F.TernaryLogic(Pclmulqdq.V512.CarrylessMultiply(blocks, ahead, 0x00), Pclmulqdq.V512.CarrylessMultiply(blocks, ahead, 0x11), onto, 0x96);

        public static Vector128<ulong> FoldBlocks(Vector512<ulong> blocks)
        {
            Vector256<ulong> low = blocks.GetLower(), high = blocks.GetUpper();
            Vector128<ulong> last = Crc32CFold.Fold(high.GetLower(), s_ahead128, high.GetUpper());
            last = Crc32CFold.Fold(low.GetUpper(), s_ahead256, last);
            return Crc32CFold.Fold(low.GetLower(), s_ahead384, last);
        }
    }

    private readonly struct Lanes256 : ILanes<Vector256<ulong>>
    {
        public static int Bytes => 32;

        public static Vector128<ulong> GroupAhead => s_ahead1024;

        public static Vector128<ulong> VectorAhead => s_ahead256;

        public static Vector256<ulong> Load(ref byte at) => Vector256.LoadUnsafe(ref at).AsUInt64();

        public static Vector256<ulong> WithState(Vector256<ulong> first, uint state) => first ^ Vector256.CreateScalar((ulong)state);

        public static Vector256<ulong> Broadcast(Vector128<ulong> constants) => Vector256.Create(constants, constants);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<ulong> Fold(Vector256<ulong> blocks, Vector256<ulong> ahead, Vector256<ulong> onto)
            => Pclmulqdq.V256.CarrylessMultiply(blocks, ahead, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(blocks, ahead, 0x11) ^ onto;

        public static Vector128<ulong> FoldBlocks(Vector256<ulong> blocks) => Crc32CFold.Fold(blocks.GetLower(), s_ahead128, blocks.GetUpper());
    }
}
