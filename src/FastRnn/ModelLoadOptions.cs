namespace FastRnn;

/// <summary>How a model file is loaded: <see cref="RnnModel.Load(string, ModelLoadOptions)"/>,
/// <see cref="Decoding.Seq2SeqModel.Load(string, ModelLoadOptions)"/> and
/// <see cref="Decoding.LanguageModel.Load(string, ModelLoadOptions)"/>. (Graph models, whose weights are small and
/// copied into their operators' own layouts, load on the caller alone.)</summary>
public sealed record ModelLoadOptions
{
    /// <summary>The largest thread count any load may use.</summary>
    public static int MaxThreads => 64;

    /// <summary>
    /// Threads that repack the weights, counting the caller (1 to <see cref="MaxThreads"/>; default 1). With more than
    /// one, the panels of each matrix of 1 MiB or more are shared between the caller and thread-pool threads (each
    /// faulting in, checksumming and transposing its own share); smaller matrices, int8 rows that are not whole groups
    /// of four bytes (repacked through a padded copy), and everything else a load does, stay on the caller. The loaded
    /// model is the same to the bit whatever the count, and the file is still refused, with the same message, if any
    /// check fails. The load returns only when every thread's share is done.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The count is below 1 or above <see cref="MaxThreads"/>.</exception>
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
