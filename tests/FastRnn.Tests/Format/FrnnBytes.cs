using System.Buffers.Binary;
using System.Text;

namespace FastRnn.Tests.Format;

/// <summary>
/// Reads and patches raw .frnn bytes the way docs/format.md describes them, independently of the reader under
/// test, so tests can craft files that are wrong in exactly one way. Offsets here are copied from the spec, not
/// from the engine's constants, so a drift between spec and code fails a test.
/// </summary>
internal static class FrnnBytes
{
    public const int HeaderSize = 96;
    public const int VersionOffset = 8;
    public const int HeaderSizeOffset = 12;
    public const int FileLengthOffset = 16;
    public const int ChecksumOffset = 24;
    public const int Reserved0Offset = 28;
    public const int MetadataOffsetOffset = 32;
    public const int MetadataLengthOffset = 40;
    public const int TableOffsetOffset = 48;
    public const int TableLengthOffset = 56;
    public const int DataOffsetOffset = 64;
    public const int DataLengthOffset = 72;
    public const int MetadataCountOffset = 80;
    public const int TensorCountOffset = 84;

    public static ulong U64(byte[] file, long at) => BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan((int)at));

    public static uint U32(byte[] file, long at) => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)at));

    public static void SetU64(byte[] file, long at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan((int)at), value);

    public static void SetU32(byte[] file, long at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)at), value);

    /// <summary>Recomputes the CRC-32C of the file (checksum field read as zero) and stores it, so a crafted edit
    /// reaches the structural checks instead of stopping at the checksum.</summary>
    public static byte[] FixChecksum(byte[] file)
    {
        SetU32(file, ChecksumOffset, Checksum(file));
        return file;
    }

    /// <summary>The checksum the spec defines: CRC-32C of the whole file with the checksum field read as zero.</summary>
    public static uint Checksum(byte[] file)
    {
        byte[] copy = (byte[])file.Clone();
        SetU32(copy, ChecksumOffset, 0);
        return ReferenceCrc32C(copy);
    }

    /// <summary>Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), the textbook definition.</summary>
    public static uint ReferenceCrc32C(ReadOnlySpan<byte> data) => ~ReferenceCrc32CUpdate(0xFFFF_FFFF, data);

    /// <summary>The raw CRC-32C update of <paramref name="state"/> by <paramref name="data"/>, one bit at a time: no
    /// initial value, no final inversion.</summary>
    public static uint ReferenceCrc32CUpdate(uint state, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            state ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                state = (state & 1) != 0 ? (state >> 1) ^ 0x82F6_3B78 : state >> 1;
            }
        }

        return state;
    }

    /// <summary>Locates the fields of the tensor table entry named <paramref name="name"/>.</summary>
    public static TensorEntry FindTensor(byte[] file, string name)
    {
        int position = (int)U64(file, TableOffsetOffset);
        uint count = U32(file, TensorCountOffset);
        for (int i = 0; i < count; i++)
        {
            var entry = TensorEntry.At(file, position);
            if (entry.Name == name)
            {
                return entry;
            }

            position = entry.End;
        }

        throw new InvalidOperationException($"test setup: no tensor '{name}' in the table");
    }

    /// <summary>All tensor table entries in file order.</summary>
    public static List<TensorEntry> Tensors(byte[] file)
    {
        var entries = new List<TensorEntry>();
        int position = (int)U64(file, TableOffsetOffset);
        for (int i = 0; i < U32(file, TensorCountOffset); i++)
        {
            entries.Add(TensorEntry.At(file, position));
            position = entries[^1].End;
        }

        return entries;
    }

    /// <summary>Locates the fields of the metadata entry with key <paramref name="key"/>.</summary>
    public static MetadataEntry FindMetadata(byte[] file, string key)
    {
        int position = (int)U64(file, MetadataOffsetOffset);
        uint count = U32(file, MetadataCountOffset);
        for (int i = 0; i < count; i++)
        {
            var entry = MetadataEntry.At(file, position);
            if (entry.Key == key)
            {
                return entry;
            }

            position = entry.End;
        }

        throw new InvalidOperationException($"test setup: no metadata '{key}'");
    }

    /// <summary>Replaces the name bytes at <paramref name="at"/> with <paramref name="replacement"/> of the same
    /// UTF-8 length.</summary>
    public static void OverwriteAscii(byte[] file, int at, string replacement) => Encoding.ASCII.GetBytes(replacement).CopyTo(file, at);
}
