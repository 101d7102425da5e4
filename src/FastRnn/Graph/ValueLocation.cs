namespace FastRnn.Graph;

/// <summary>Where a value lives while a session runs.</summary>
internal enum LocationKind
{
    /// <summary>A slice of the session's float arena (inputs, outputs, intermediates, views of them).</summary>
    Arena,

    /// <summary>The model's constant data, shared by every session.</summary>
    Constant,

    /// <summary>One of the session's int64 input buffers (or a view of one).</summary>
    Int64,
}

/// <param name="Kind">Which storage.</param>
/// <param name="Slot">For a constant, the value index of its data; for Int64, the buffer index.</param>
/// <param name="Offset">For the arena, the first float.</param>
/// <param name="Length">Elements.</param>
internal readonly record struct ValueLocation(LocationKind Kind, int Slot, int Offset, int Length);
