namespace FastRnn.Runtime;

/// <summary>A span of an <see cref="Arena"/>: its start and length in floats.</summary>
internal readonly record struct ArenaSlice(int Offset, int Length);

/// <summary>
/// Collects the buffers a session needs, then allocates them as one <see cref="Arena"/>.
/// </summary>
internal sealed class ArenaLayout
{
    // Each slice starts on a 64-byte boundary so vector loads never split a cache line.
    private const int AlignmentFloats = 16;

    private long _length;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2201:Do not raise reserved exception types",
        Justification = "A session too large for one array is an out-of-memory condition; its owners catch it and rethrow naming their own sizes.")]
    public ArenaSlice Reserve(long length)
    {
        if (length < 0 || length > int.MaxValue)
            throw new OutOfMemoryException($"a session buffer of {length} floats is larger than one array can hold");
        long offset = (_length + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
        _length = offset + length;
        if (_length > Array.MaxLength)
            throw new OutOfMemoryException($"session buffers total {_length} floats, more than one array can hold; use a smaller batch or maxSequenceLength");
        return new ArenaSlice((int)offset, (int)length);
    }

    public Arena Build() => new((int)_length);
}
