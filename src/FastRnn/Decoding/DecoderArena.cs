using System.Runtime.InteropServices;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// The one <see cref="Arena"/> behind every buffer of a <see cref="Seq2SeqDecoder"/> or a
/// <see cref="LanguageModelSession"/>, built in two phases: each part reserves its slices while the whole is being
/// created, then <see cref="Build"/> allocates them all at once and every part reads its slices through this object.
/// </summary>
/// <remarks>
/// Token ids and counters live in the same block as the floats (an int is as wide as a float), so one allocation holds
/// everything. The arena is NaN-filled: an int read before it is written is then a large negative id, which every
/// index check refuses.
/// </remarks>
internal sealed class DecoderArena
{
    private ArenaLayout? _layout = new();
    private Arena? _arena;

    /// <summary>Reserves <paramref name="length"/> floats or ints; only before <see cref="Build"/>.</summary>
    /// <exception cref="OutOfMemoryException">One buffer or the total is larger than one array can hold.</exception>
    public ArenaSlice Reserve(long length)
        => (_layout ?? throw new InvalidOperationException("the arena is already built")).Reserve(length);

    /// <summary>Allocates every reserved slice.</summary>
    public void Build()
    {
        _arena = (_layout ?? throw new InvalidOperationException("the arena is already built")).Build();
        _layout = null;
    }

    /// <summary>Floats in the arena.</summary>
    public int Length => _arena?.Length ?? 0;

    public Span<float> this[ArenaSlice slice] => _arena![slice];

    public Span<int> Ints(ArenaSlice slice) => MemoryMarshal.Cast<float, int>(_arena![slice]);

    /// <summary>Drops the block so the memory can be collected even while its owner is still referenced.</summary>
    public void Release() => _arena = null;
}
