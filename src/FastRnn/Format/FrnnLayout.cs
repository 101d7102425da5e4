namespace FastRnn.Format;

/// <summary>
/// Byte-level constants of format version 1; docs/format.md is the normative description of every value here.
/// </summary>
internal static class FrnnLayout
{
    /// <summary>"FRNN\r\n\x1a\n": the CR LF, the DOS end-of-file byte and the lone LF each break under a different
    /// text-mode mangling (the same trick as PNG), so a corrupted transfer fails at the magic, not deep inside.</summary>
    public static ReadOnlySpan<byte> Magic => [0x46, 0x52, 0x4E, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A];

    public const uint Version = 1;
    public const int HeaderSize = 96;

    /// <summary>64 bytes: a cache line, and the width of a Vector512, so a kernel can use aligned loads from the
    /// start of every tensor of a memory-mapped file (mappings start on a page boundary).</summary>
    public const int Alignment = 64;

    public const int MaxRank = 8;

    /// <summary>Suffix of the float32 tensor that holds an int8 tensor's per-row scales.</summary>
    public const string ScaleSuffix = ".scale";

    /// <summary>Bytes per element of a supported dtype.</summary>
    public static int ElementSize(FrnnDType dtype) => dtype switch
    {
        FrnnDType.Float32 => 4,
        FrnnDType.Float16 or FrnnDType.BFloat16 => 2,
        _ => 1,
    };

    // Header field offsets. Fields are naturally aligned so the header can be read without unaligned accesses.
    public const int MagicOffset = 0;
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
    public const int Reserved1Offset = 88;

    /// <summary>Smallest possible metadata entry: u32 key length, 1-byte key, u8 type, 1-byte bool value. Bounds the
    /// entry count by the section length before anything is allocated for the entries.</summary>
    public const int MinMetadataEntrySize = 4 + 1 + 1 + 1;

    /// <summary>Smallest possible tensor table entry: u32 name length, 1-byte name, u8 dtype, u8 rank (0, so no
    /// dims), u64 offset, u64 byte length.</summary>
    public const int MinTensorEntrySize = 4 + 1 + 1 + 1 + 8 + 8;

    /// <summary>Rounds <paramref name="value"/> up to the next multiple of <see cref="Alignment"/>; the caller
    /// guarantees no overflow (values are bounded by a file length).</summary>
    public static ulong AlignUp(ulong value) => (value + (Alignment - 1)) & ~(ulong)(Alignment - 1);

    /// <summary>Tensor data is handed out as zero-copy spans of the file's little-endian bytes, which is only
    /// correct on a little-endian host.</summary>
    public static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(".frnn files are read and written zero-copy and need a little-endian host.");
        }
    }
}
