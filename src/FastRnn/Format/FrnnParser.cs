using System.Diagnostics;

namespace FastRnn.Format;

/// <summary>
/// Validates an .frnn file completely and decodes its metadata and tensor table. Checks run cheapest and most
/// diagnostic first: the magic and version (so a foreign or newer file is named as such, not as corrupt), the
/// declared length, every structural rule in docs/format.md (which read only the header, metadata and table), and
/// last the checksum, the one check that reads the whole file: a file whose structure is wrong is refused in
/// milliseconds however large it is. Nothing is allocated in proportion to a size until that size has been bounded
/// by the file.
/// </summary>
internal static partial class FrnnParser
{
    /// <summary>Chunk size for checksumming a mapping larger than a span can address.</summary>
    private const int ChecksumChunk = 1 << 30;

    /// <summary>Validates <paramref name="storage"/>; with <paramref name="verifyChecksum"/> false the caller must
    /// call <see cref="VerifyChecksum"/> itself before anything built from the file is used (see
    /// <see cref="SourceChecksum"/>).</summary>
    public static FrnnContents Parse(FrnnStorage storage, bool verifyChecksum = true)
    {
        FrnnLayout.EnsureLittleEndianHost();
        FrnnHeader header = ReadHeader(storage);
        CheckSections(header, storage.Length);

        MetadataDictionary metadata = ReadMetadata(
            storage.GetBytes((long)header.MetadataOffset, (int)header.MetadataLength), header.MetadataCount);
        FrnnTensorInfo[] tensors = ReadTensorTable(
            storage.GetBytes((long)header.TableOffset, (int)header.TableLength), header.TensorCount, header.DataOffset, header.DataLength);
        CheckDataLayout(tensors, header.DataLength);
        CheckScales(tensors);
        if (verifyChecksum)
            VerifyChecksum(storage, header.Checksum, []);
        return new FrnnContents((int)header.Version, tensors, metadata, header.Checksum);
    }

    private static FrnnHeader ReadHeader(FrnnStorage storage)
    {
        long length = storage.Length;
        ReadOnlySpan<byte> prefix = storage.GetBytes(0, (int)Math.Min(length, FrnnLayout.HeaderSize));

        // A short file whose few bytes already differ from the magic is a foreign file, not a truncated one.
        ReadOnlySpan<byte> magic = prefix[..Math.Min(prefix.Length, FrnnLayout.Magic.Length)];
        if (!FrnnLayout.Magic.StartsWith(magic))
        {
            FormatErrors.ThrowBadMagic(magic);
        }

        if (prefix.Length < FrnnLayout.HeaderSize)
        {
            FormatErrors.ThrowFileTooShort(length);
        }

        FrnnHeader header = FrnnHeader.Read(prefix);
        if (header.Version != FrnnLayout.Version)
        {
            FormatErrors.ThrowUnsupportedVersion(header.Version);
        }

        if (header.HeaderSize != FrnnLayout.HeaderSize)
        {
            FormatErrors.ThrowHeaderField("header size", FrnnLayout.HeaderSize, header.HeaderSize);
        }

        if (header.FileLength != (ulong)length)
        {
            FormatErrors.ThrowFileLengthMismatch(header.FileLength, length);
        }

        return header;
    }

    /// <summary>
    /// Checks the whole file's CRC-32C against <paramref name="stored"/>. The ranges in <paramref name="covered"/>
    /// (complete, inside the data section, not overlapping the header) were checksummed already by whoever read them;
    /// they are joined in by <see cref="Crc32C.Shift"/> and only the bytes between them are read here. A range listed
    /// twice (a tensor packed twice) counts once.
    /// </summary>
    public static void VerifyChecksum(FrnnStorage storage, uint stored, IReadOnlyList<SourceChecksum> covered)
    {
        // The checksum covers the whole file with its own field read as zero, so writers can fill it in last.
        Span<byte> header = stackalloc byte[FrnnLayout.HeaderSize];
        storage.GetBytes(0, FrnnLayout.HeaderSize).CopyTo(header);
        header.Slice(FrnnLayout.ChecksumOffset, sizeof(uint)).Clear();
        uint state = Crc32C.Append(Crc32C.Begin, header);

        long at = FrnnLayout.HeaderSize;
        foreach (SourceChecksum range in covered.OrderBy(r => r.Offset))
        {
            if (range.Offset < at)
            {
                // Only a tensor packed twice can get here (the data layout forbids overlaps): the same range again.
                Debug.Assert(range.Offset + range.Length <= at, "checksummed ranges overlap");
                continue;
            }
            state = AppendStored(storage, state, at, range.Offset);
            state = Crc32C.Shift(state, range.Length) ^ range.State;
            at = range.Offset + range.Length;
        }

        uint computed = Crc32C.End(AppendStored(storage, state, at, storage.Length));
        if (computed != stored)
        {
            FormatErrors.ThrowChecksumMismatch(stored, computed);
        }
    }

    private static uint AppendStored(FrnnStorage storage, uint state, long from, long to)
    {
        for (long offset = from; offset < to; offset += ChecksumChunk)
        {
            state = Crc32C.Append(state, storage.GetBytes(offset, (int)Math.Min(ChecksumChunk, to - offset)));
        }

        return state;
    }

    private static void CheckSections(FrnnHeader header, long fileLength)
    {
        if (header.Reserved0 != 0)
        {
            FormatErrors.ThrowHeaderField($"reserved field at offset {FrnnLayout.Reserved0Offset}", 0, header.Reserved0);
        }

        if (header.Reserved1 != 0)
        {
            FormatErrors.ThrowHeaderField($"reserved field at offset {FrnnLayout.Reserved1Offset}", 0, header.Reserved1);
        }

        CheckInsideFile("metadata", header.MetadataOffset, header.MetadataLength, fileLength);
        CheckInsideFile("tensor table", header.TableOffset, header.TableLength, fileLength);
        CheckInsideFile("data", header.DataOffset, header.DataLength, fileLength);

        // Version 1 has exactly one layout: header, metadata, table, zero padding to 64, data to the end of the file.
        // With no gaps there are no bytes whose meaning a reader would have to guess. The sums below cannot
        // overflow: each section was just shown to end inside the file.
        if (header.MetadataOffset != FrnnLayout.HeaderSize)
        {
            FormatErrors.ThrowSectionMisplaced("metadata", "right after the header", FrnnLayout.HeaderSize, header.MetadataOffset);
        }

        ulong metadataEnd = header.MetadataOffset + header.MetadataLength;
        if (header.TableOffset != metadataEnd)
        {
            FormatErrors.ThrowSectionMisplaced("tensor table", "right after the metadata section", metadataEnd, header.TableOffset);
        }

        ulong dataStart = FrnnLayout.AlignUp(header.TableOffset + header.TableLength);
        if (header.DataOffset != dataStart)
        {
            FormatErrors.ThrowSectionMisplaced("data", "end of the tensor table rounded up to a multiple of 64", dataStart, header.DataOffset);
        }

        if (header.DataLength != (ulong)fileLength - header.DataOffset)
        {
            FormatErrors.ThrowHeaderField("data length (the rest of the file)", (ulong)fileLength - header.DataOffset, header.DataLength);
        }

        if (header.DataLength % FrnnLayout.Alignment != 0)
        {
            FormatErrors.ThrowFieldNotAligned("data length", header.DataLength);
        }

        // Sections are decoded through spans; real metadata and tables are kilobytes.
        if (header.MetadataLength > int.MaxValue)
        {
            FormatErrors.ThrowSectionTooLarge("metadata", header.MetadataLength);
        }

        if (header.TableLength > int.MaxValue)
        {
            FormatErrors.ThrowSectionTooLarge("tensor table", header.TableLength);
        }

        // Bounding the counts by the smallest possible entry caps what the decoders allocate up front.
        if ((ulong)header.MetadataCount * FrnnLayout.MinMetadataEntrySize > header.MetadataLength)
        {
            FormatErrors.ThrowCountTooLarge("metadata count", header.MetadataCount, header.MetadataLength, FrnnLayout.MinMetadataEntrySize);
        }

        if ((ulong)header.TensorCount * FrnnLayout.MinTensorEntrySize > header.TableLength)
        {
            FormatErrors.ThrowCountTooLarge("tensor count", header.TensorCount, header.TableLength, FrnnLayout.MinTensorEntrySize);
        }
    }

    private static void CheckInsideFile(string section, ulong offset, ulong length, long fileLength)
    {
        // Written as a subtraction so a huge offset or length cannot wrap around.
        if (offset > (ulong)fileLength || length > (ulong)fileLength - offset)
        {
            FormatErrors.ThrowSectionOutOfBounds(section, offset, length, fileLength);
        }
    }
}
