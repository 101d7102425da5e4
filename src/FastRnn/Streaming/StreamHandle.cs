namespace FastRnn.Streaming;

/// <summary>
/// One open stream of a <see cref="StreamPool"/> (or a <see cref="StreamBatcher"/>): its slot and the generation the
/// slot had when the stream was opened, so a handle kept after <c>Close</c> is refused rather than silently naming the
/// next stream to take the slot. <c>default</c> names no stream.
/// </summary>
public readonly record struct StreamHandle
{
    internal StreamHandle(int id, int generation)
    {
        Id = id;
        Generation = generation;
    }

    /// <summary>The slot, 0..capacity − 1: stable while the stream is open, reused after it closes.</summary>
    public int Id { get; }

    internal int Generation { get; }
}
