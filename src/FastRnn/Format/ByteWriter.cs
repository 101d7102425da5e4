using System.Buffers.Binary;

namespace FastRnn.Format;

/// <summary>Growable little-endian byte buffer for the writer's small sections (metadata, tensor table).</summary>
internal sealed class ByteWriter
{
    private byte[] _buffer = new byte[256];
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void WriteU8(byte value) => Grow(1)[0] = value;

    public void WriteU32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), value);

    public void WriteU64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);

    public void WriteI64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Grow(8), value);

    // Bit pattern as is (NaN payloads included), so output is byte-for-byte reproducible.
    public void WriteF64(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), value);

    /// <summary>Writes a u32 byte length followed by the bytes (an already-encoded UTF-8 string).</summary>
    public void WriteString(byte[] utf8)
    {
        WriteU32((uint)utf8.Length);
        utf8.CopyTo(Grow(utf8.Length));
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        Span<byte> slot = _buffer.AsSpan(_length, count);
        _length += count;
        return slot;
    }
}
