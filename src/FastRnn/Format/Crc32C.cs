using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Format;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF) as used for the
/// .frnn checksum; "123456789" hashes to 0xE3069283.
/// </summary>
/// <remarks><see cref="BitOperations.Crc32C(uint, ulong)"/> compiles to the SSE4.2 / ARMv8 CRC32 instruction where
/// present (about 8 bytes per cycle of throughput), with a table fallback elsewhere. It is the raw update step: no
/// initial value or final inversion, which <see cref="Begin"/> and <see cref="End"/> add.</remarks>
internal static class Crc32C
{
    public const uint Begin = 0xFFFF_FFFFu;

    public static uint End(uint state) => ~state;

    /// <summary>Bytes of each of the three lanes <see cref="Append"/> runs side by side: 2^13, so that moving a state
    /// past one lane is one of <see cref="Shift"/>'s matrices.</summary>
    internal const int LaneBytes = 1 << LaneBytesLog2;

    private const int LaneBytesLog2 = 13;

    /// <summary>Feeds <paramref name="data"/> into a running CRC state.</summary>
    /// <remarks>
    /// Inputs of <see cref="Crc32CFold.MinimumBytes"/> or more are folded by carry-less multiplication where the CPU
    /// has 256- or 512-bit VPCLMULQDQ (<see cref="Crc32CFold"/>), up to the last group of four vectors; the rest
    /// goes through the CRC32 instruction as follows.
    /// The CRC32 instruction has a latency of three cycles and a throughput of one, so one chain of updates runs at a
    /// third of its speed. Long inputs therefore go in rounds of three consecutive lanes, each its own chain (the first
    /// from the running state, the others from 0), joined by linearity: feeding lane B after state s gives
    /// Z(s) ⊕ crc₀(B), Z being the feeding of |B| zero bytes. The result is the same as feeding bytes one by one
    /// (<c>Crc32CTests</c> checks it against a bitwise reference across the round boundaries).
    /// </remarks>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        int i = 0;
        if (data.Length >= Crc32CFold.MinimumBytes && Crc32CFold.IsSupported)
            state = Crc32CFold.Append(state, data, out i);
        for (; i <= data.Length - 3 * LaneBytes; i += 3 * LaneBytes)
        {
            ref byte lane = ref MemoryMarshal.GetReference(data.Slice(i, 3 * LaneBytes));
            uint a = state, b = 0, c = 0;
            for (int k = 0; k < LaneBytes; k += sizeof(ulong))
            {
                a = BitOperations.Crc32C(a, Word(ref Unsafe.Add(ref lane, k)));
                b = BitOperations.Crc32C(b, Word(ref Unsafe.Add(ref lane, LaneBytes + k)));
                c = BitOperations.Crc32C(c, Word(ref Unsafe.Add(ref lane, 2 * LaneBytes + k)));
            }
            state = ShiftLane(ShiftLane(a) ^ b) ^ c;
        }

        for (; i <= data.Length - sizeof(ulong); i += sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, Word(ref Unsafe.AsRef(in data[i])));
        }

        for (; i < data.Length; i++)
        {
            state = BitOperations.Crc32C(state, data[i]);
        }

        return state;
    }

    // Eight bytes as a little-endian u64 are presented to the instruction in file order, so the result is the same as
    // feeding the bytes one at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Word(ref byte at)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref at);
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    // Feeding LaneBytes zero bytes is linear in the state: a 32 × 32 bit matrix applied to it.
    private static uint ShiftLane(uint state) => Apply(ZeroPowers.Matrices[LaneBytesLog2], state);

    /// <summary>Feeds <paramref name="count"/> zero bytes into a running CRC state (alignment padding).</summary>
    public static uint AppendZeros(uint state, int count) => Shift(state, count);

    /// <summary>
    /// What feeding <paramref name="count"/> zero bytes makes of <paramref name="state"/>, in time logarithmic in the
    /// count. With it a CRC of consecutive ranges can be computed range by range in any order and joined:
    /// <c>Append(s, A ‖ B) = Shift(Append(s, A), |B|) ⊕ Append(0, B)</c>, the update being linear in state and data.
    /// </summary>
    public static uint Shift(uint state, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (int k = 0; count != 0; k++, count >>= 1)
        {
            if ((count & 1) != 0)
                state = Apply(ZeroPowers.Matrices[k], state);
        }

        return state;
    }

    // The 32 × 32 bit matrix m (column b = image of bit b) applied to a state.
    private static uint Apply(uint[] m, uint state)
    {
        uint result = 0;
        for (int b = 0; b < 32; b++)
            result ^= m[b] & (0u - ((state >> b) & 1u));
        return result;
    }

    /// <summary>Matrices[k] feeds 2^k zero bytes: the one-byte step squared k times, built on first use.</summary>
    private static class ZeroPowers
    {
        public static readonly uint[][] Matrices = Build();

        private static uint[][] Build()
        {
            var matrices = new uint[63][];
            matrices[0] = [.. Enumerable.Range(0, 32).Select(b => BitOperations.Crc32C(1u << b, (byte)0))];
            for (int k = 1; k < matrices.Length; k++)
            {
                uint[] half = matrices[k - 1];
                matrices[k] = [.. half.Select(column => Apply(half, column))];
            }

            return matrices;
        }
    }

    /// <summary>CRC-32C of a whole buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => End(Append(Begin, data));
}
