using System.Runtime.InteropServices;

namespace FastRnn.Format;

/// <summary>An .frnn file held in a caller's buffer, which is referenced, not copied.</summary>
internal sealed class MemoryFrnnStorage(ReadOnlyMemory<byte> bytes) : FrnnStorage
{
    public override long Length => bytes.Length;

    public override ReadOnlySpan<byte> GetBytes(long offset, int length) => bytes.Span.Slice(checked((int)offset), length);

    // Cast tolerates any address; the tensor is 64-byte aligned relative to the buffer start, so it is aligned in
    // memory only if the caller's buffer is.
    public override ReadOnlySpan<float> GetFloat32(long offset, int count) =>
        MemoryMarshal.Cast<byte, float>(bytes.Span.Slice(checked((int)offset), checked(count * sizeof(float))));

    public override void Dispose()
    {
    }
}
