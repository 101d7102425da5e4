namespace FastRnn.Streaming;

/// <summary>How a <see cref="StreamBatcher"/> gathers frames into ticks.</summary>
public sealed record StreamBatcherOptions
{
    /// <summary>The most streams open at once, split evenly between the <see cref="Workers"/> (each takes ⌈Capacity / Workers⌉).</summary>
    public int Capacity { get; init; } = 64;

    /// <summary>
    /// Threads that run ticks. Each owns its own <see cref="StreamPool"/> of streams, so ticks of different workers run
    /// at the same time on different cores; a stream stays with the worker it was opened on.
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// The longest a frame waits for others to join its tick: a tick starts when every open stream of the worker has a
    /// frame, when <see cref="MaxBatch"/> frames wait, or when the first waiting frame has waited this long.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Frames that start a tick at once, without waiting for the rest (0: a worker's whole capacity).</summary>
    public int MaxBatch { get; init; }

    /// <summary>
    /// Refuse a frame with a NaN or ±∞ when it is submitted (the call throws, naming the stream and the feature, and the
    /// stream stays as it was) instead of computing with it, which would make that stream's state NaN for every later
    /// tick; for frames from outside, such as network clients. See <see cref="StreamPool"/>'s <c>validateInputs</c>.
    /// </summary>
    public bool ValidateInputs { get; init; }

    /// <summary>Intra-op threads for each worker's products, counting the worker itself (see <see cref="RnnModel.CreateSession(int, int, int)"/>).</summary>
    public int IntraOpThreads { get; init; } = 1;

    internal void Validate()
    {
        if (Workers < 1 || Workers > Environment.ProcessorCount * 4)
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, $"Workers must be 1..{Environment.ProcessorCount * 4}");
        if (Capacity < Workers || Capacity > RnnConfig.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"Capacity must be at least Workers ({Workers}) and at most {RnnConfig.MaxBatchSize}");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, "MaxWait must be between zero and one minute");
        if (MaxBatch < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be 0 (a worker's capacity) or positive");
    }
}
