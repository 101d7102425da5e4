namespace FastRnn;

/// <summary>How a model file is loaded (<see cref="RnnModel.Load(string, ModelLoadOptions)"/> and the other models'
/// <c>Load</c>).</summary>
public sealed record ModelLoadOptions
{
    /// <summary>The largest thread count any load may use.</summary>
    public const int MaxThreads = 64;

    /// <summary>
    /// Threads that repack the weights, counting the caller (1 to <see cref="MaxThreads"/>; default 1). With more than
    /// one, the panels of each matrix of 1 MiB or more are shared between the caller and thread-pool threads (each
    /// faulting in, checksumming and transposing its own share); smaller matrices, and everything else a load does, stay
    /// on the caller. The loaded model is the same to the bit whatever the count, and the file is still refused, with
    /// the same message, if any check fails.
    /// </summary>
    public int Threads
    {
        get;
        init
        {
            if (value < 1 || value > MaxThreads)
                throw new ArgumentOutOfRangeException(nameof(Threads), value, $"load threads must be 1 to {MaxThreads}");
            field = value;
        }
    } = 1;

    /// <summary>The defaults: one thread.</summary>
    public static ModelLoadOptions Default { get; } = new();
}
