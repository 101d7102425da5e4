using System.Buffers.Binary;

namespace FastRnn.Format;

/// <summary>The fixed 96-byte header of an .frnn file, as raw field values (not yet validated beyond what
/// <see cref="FrnnParser"/> checks before constructing it).</summary>
internal readonly record struct FrnnHeader(
    uint Version,
    uint HeaderSize,
    ulong FileLength,
    uint Checksum,
    uint Reserved0,
    ulong MetadataOffset,
    ulong MetadataLength,
    ulong TableOffset,
    ulong TableLength,
    ulong DataOffset,
    ulong DataLength,
    uint MetadataCount,
    uint TensorCount,
    ulong Reserved1)
{
    /// <summary>Decodes the fields after the magic; <paramref name="header"/> is at least
    /// <see cref="FrnnLayout.HeaderSize"/> bytes.</summary>
    public static FrnnHeader Read(ReadOnlySpan<byte> header) => new(
        Version: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.VersionOffset..]),
        HeaderSize: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.HeaderSizeOffset..]),
        FileLength: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.FileLengthOffset..]),
        Checksum: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.ChecksumOffset..]),
        Reserved0: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.Reserved0Offset..]),
        MetadataOffset: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.MetadataOffsetOffset..]),
        MetadataLength: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.MetadataLengthOffset..]),
        TableOffset: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.TableOffsetOffset..]),
        TableLength: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.TableLengthOffset..]),
        DataOffset: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.DataOffsetOffset..]),
        DataLength: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.DataLengthOffset..]),
        MetadataCount: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.MetadataCountOffset..]),
        TensorCount: BinaryPrimitives.ReadUInt32LittleEndian(header[FrnnLayout.TensorCountOffset..]),
        Reserved1: BinaryPrimitives.ReadUInt64LittleEndian(header[FrnnLayout.Reserved1Offset..]));

    /// <summary>Encodes magic and fields into the first <see cref="FrnnLayout.HeaderSize"/> bytes of
    /// <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        FrnnLayout.Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.HeaderSizeOffset..], HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.FileLengthOffset..], FileLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.ChecksumOffset..], Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.Reserved0Offset..], Reserved0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.MetadataOffsetOffset..], MetadataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.MetadataLengthOffset..], MetadataLength);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.TableOffsetOffset..], TableOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.TableLengthOffset..], TableLength);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.DataOffsetOffset..], DataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.DataLengthOffset..], DataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.MetadataCountOffset..], MetadataCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FrnnLayout.TensorCountOffset..], TensorCount);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[FrnnLayout.Reserved1Offset..], Reserved1);
    }
}
