namespace FastRnn.Streaming;

/// <summary>How a <see cref="Seq2SeqBatcher"/> gathers requests into its pools' steps.</summary>
public sealed record Seq2SeqBatcherOptions
{
    /// <summary>Decoder rows over all <see cref="Workers"/> (each worker's pool takes ⌈Capacity / Workers⌉): a greedy request holds one while it decodes, a beam of k up to k.</summary>
    public int Capacity { get; init; } = 64;

    /// <summary>Requests decoding at once over all workers (each takes ⌈MaxRequests / Workers⌉; 0: one per row).</summary>
    public int MaxRequests { get; init; }

    /// <summary>The largest beam a request may search with (at most a worker's rows).</summary>
    public int MaxBeam { get; init; } = 1;

    /// <summary>The most tokens one output can have.</summary>
    public int MaxOutputLength { get; init; } = 256;

    /// <summary>
    /// Requests submitted and not yet answered, over all workers: decoding, or queued for a worker's next step
    /// (0: four times <see cref="MaxRequests"/>). Beyond it a blocking call waits for an answer to free a place, and
    /// an awaited call throws.
    /// </summary>
    public int MaxPending { get; init; }

    /// <summary>Threads that decode, each with its own <see cref="Seq2SeqPool"/>, so that steps of different workers run on different cores.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// The longest a request waits for others before an idle worker starts it, so that requests arriving together are
    /// encoded together. A worker that is decoding takes every queued request at its next step without waiting.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Queued requests that start an idle worker at once, without waiting the rest of <see cref="MaxWait"/> (0: a worker's request slots).</summary>
    public int MaxBatch { get; init; }

    /// <summary>Intra-op threads for each worker's products, counting the worker itself (see <see cref="Seq2SeqPool"/>).</summary>
    public int IntraOpThreads { get; init; } = 1;

    internal int RowsPerWorker => (Capacity + Workers - 1) / Workers;

    internal int RequestsPerWorker => MaxRequests == 0 ? RowsPerWorker : (MaxRequests + Workers - 1) / Workers;

    internal int Pending => MaxPending == 0 ? checked(4 * RequestsPerWorker * Workers) : MaxPending;

    internal void Validate()
    {
        if (Workers < 1 || Workers > Environment.ProcessorCount * 4)
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, $"Workers must be 1..{Environment.ProcessorCount * 4}");
        if (Capacity < Workers || Capacity > RnnConfig.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"Capacity must be at least Workers ({Workers}) and at most {RnnConfig.MaxBatchSize}");
        if (MaxRequests != 0 && (MaxRequests < Workers || RequestsPerWorker > RowsPerWorker))
            throw new ArgumentOutOfRangeException(nameof(MaxRequests), MaxRequests, $"MaxRequests must be 0 (one per row) or {Workers}..{Capacity} (Workers to Capacity)");
        if (MaxBeam < 1 || MaxBeam > RowsPerWorker)
            throw new ArgumentOutOfRangeException(nameof(MaxBeam), MaxBeam, $"MaxBeam must be 1..{RowsPerWorker} (a worker's rows)");
        if (MaxPending < 0 || MaxPending > 1 << 20)
            throw new ArgumentOutOfRangeException(nameof(MaxPending), MaxPending, "MaxPending must be 0 (four per request slot) or 1..1048576");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, "MaxWait must be between zero and one minute");
        if (MaxBatch < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be 0 (a worker's request slots) or positive");
        if (IntraOpThreads < 1)
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be at least 1");
    }
}
