namespace FastRnn.Streaming;

/// <summary>The one place each kind of stream-pool error is thrown from; messages name the stream and the rule.</summary>
internal static class StreamErrors
{
    public static InvalidOperationException CannotStream(bool bidirectional)
        => new(bidirectional
            ? "a stream pool advances streams one frame at a time, which a bidirectional model cannot do: its backward direction needs the future of the sequence; use RnnSession.Run"
            : "a stream pool advances streams one frame at a time, which a reverse model cannot do: it reads the sequence from its end; use RnnSession.Run");

    public static ArgumentException FixedInitialState(int batch)
        => new($"the model's initial state is for {batch} particular streams; a stream pool needs one stream's initial state (B₀ = 1) or none, since its streams come and go", "model");

    public static ArgumentOutOfRangeException Capacity(int capacity)
        => new(nameof(capacity), capacity, $"capacity must be 1..{RnnConfig.MaxBatchSize}");

    public static InvalidOperationException Full(int capacity)
        => new($"all {capacity} streams of the pool are open; close one first or create a larger pool");

    public static InvalidOperationException NotOpen(StreamHandle stream)
        => new($"stream {stream.Id} is not open: it was closed, or the handle belongs to another pool or is default");

    public static InvalidOperationException InputPending(StreamHandle stream)
        => new($"stream {stream.Id} already has an input waiting for the next tick; a stream advances one frame per tick");

    public static InvalidOperationException Busy(StreamHandle stream, string operation)
        => new($"stream {stream.Id} has a step in flight; wait for it before {operation}");

    public static ObjectDisposedException Disposed(string what) => new(what);

    /// <summary>What a caller sees when the worker failed its request: one exception per caller, the cause inside.</summary>
    public static InvalidOperationException Failed(string what, Exception cause) => new($"{what} failed: {cause.Message}", cause);

    public static InvalidOperationException TakenTwice()
        => new("the result of this pooled ValueTask was already taken, or it has not completed yet: await each task exactly once (never twice, and never read .Result before it completes; use AsTask() to wait synchronously)");
}
