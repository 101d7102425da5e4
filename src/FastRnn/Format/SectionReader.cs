using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace FastRnn.Format;

/// <summary>
/// Bounds-checked little-endian cursor over one section (metadata or tensor table). Every read checks the bytes
/// remaining first, so a lying length can only ever produce a <see cref="FrnnFormatException"/> naming the section,
/// entry and field, never a read past the section.
/// </summary>
internal ref struct SectionReader(ReadOnlySpan<byte> section, string sectionName)
{
    private readonly ReadOnlySpan<byte> _section = section;
    private int _position;

    /// <summary>Index of the entry being read, for messages.</summary>
    public int Entry { get; set; }

    /// <summary>Key or name of the entry being read once it is known, for messages.</summary>
    public string? EntryName { get; set; }

    public readonly int Position => _position;

    public readonly int Remaining => _section.Length - _position;

    public byte ReadU8(string field) => Take(1, field)[0];

    public uint ReadU32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public ulong ReadU64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    public long ReadI64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public double ReadF64(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    /// <summary>Reads a u32 element count and checks that <paramref name="elementSize"/> bytes per element can
    /// still fit in the section, so the caller may allocate that many elements.</summary>
    public int ReadCount(string field, int elementSize)
    {
        uint count = ReadU32(field);
        ulong needed = (ulong)count * (ulong)elementSize;
        if (needed > (ulong)Remaining)
        {
            FormatErrors.ThrowEntryTruncated(sectionName, Entry, EntryName, field, needed, Remaining);
        }

        return (int)count;
    }

    /// <summary>Reads a u32 byte length followed by that many bytes of UTF-8.</summary>
    public string ReadString(string field, bool allowEmpty)
    {
        uint length = ReadU32(field);
        if (length == 0 && !allowEmpty)
        {
            FormatErrors.ThrowEmptyName(sectionName, Entry, field);
        }

        ReadOnlySpan<byte> bytes = Take(length, field);
        if (!Utf8.IsValid(bytes))
        {
            FormatErrors.ThrowInvalidUtf8(sectionName, Entry, EntryName, field, bytes);
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private ReadOnlySpan<byte> Take(ulong length, string field)
    {
        if (length > (ulong)Remaining)
        {
            FormatErrors.ThrowEntryTruncated(sectionName, Entry, EntryName, field, length, Remaining);
        }

        ReadOnlySpan<byte> bytes = _section.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }
}
