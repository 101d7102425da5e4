using System.Buffers.Binary;
using System.Numerics;

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

    /// <summary>Feeds <paramref name="data"/> into a running CRC state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        // Reading 8 bytes as a little-endian u64 presents them to the instruction in file order, so the result is
        // the same as feeding bytes one at a time.
        int i = 0;
        for (; i <= data.Length - sizeof(ulong); i += sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i)));
        }

        for (; i < data.Length; i++)
        {
            state = BitOperations.Crc32C(state, data[i]);
        }

        return state;
    }

    /// <summary>Feeds <paramref name="count"/> zero bytes into a running CRC state (alignment padding).</summary>
    public static uint AppendZeros(uint state, int count)
    {
        int i = 0;
        for (; i <= count - sizeof(ulong); i += sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, 0UL);
        }

        for (; i < count; i++)
        {
            state = BitOperations.Crc32C(state, (byte)0);
        }

        return state;
    }

    /// <summary>CRC-32C of a whole buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => End(Append(Begin, data));
}
