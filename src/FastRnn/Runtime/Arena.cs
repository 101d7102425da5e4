namespace FastRnn.Runtime;

/// <summary>
/// Every scratch and state buffer of a session, carved out of one 64-byte aligned block allocated at creation.
/// </summary>
/// <remarks>
/// A fresh arena is filled with NaN rather than zero: a kernel that reads a buffer before writing it then produces
/// NaN, which the parity tests cannot miss, instead of silently plausible numbers.
/// </remarks>
internal sealed class Arena
{
    private static readonly AlignedBuffer Released = new(0);

    private AlignedBuffer _buffer;

    public Arena(int length)
    {
        _buffer = new AlignedBuffer(length);
        _buffer.Span.Fill(float.NaN);
    }

    public int Length => _buffer.Length;

    /// <summary>
    /// Drops the buffer so the garbage collector can reclaim it (it is pinned, on the pinned object heap); every slice
    /// is empty afterwards, so an owner that forgot its disposed check fails on the length check, not on freed memory.
    /// </summary>
    public void Release() => _buffer = Released;

    public Span<float> this[ArenaSlice slice] => _buffer.Span.Slice(slice.Offset, slice.Length);
}
