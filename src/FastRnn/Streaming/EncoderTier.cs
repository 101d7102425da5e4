using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>
/// One encoder batch size of a <see cref="Seq2SeqPool"/>: a batch encoder session of that many streams, with the batch
/// encoder and bridge that go with it. A pool keeps sizes 1, 4, 16 … so that the sources waiting at a step are encoded
/// by the smallest batch that holds them: a batch session steps all its streams, used or not.
/// </summary>
internal sealed class EncoderTier : IDisposable
{
    private EncoderTier(Seq2SeqModel model, int size, DecoderArena arena)
    {
        Size = size;
        Encoder = new BatchEncoder(model, size, arena);
        Bridge = new DecoderBridge(model, size, arena);
    }

    public int Size { get; }

    public BatchEncoder Encoder { get; }

    public DecoderBridge Bridge { get; }

    public RnnSession Session { get; private set; } = null!;

    /// <summary>Reserves the tiers 1, 4, 16 … up to <paramref name="largest"/> (always included).</summary>
    public static EncoderTier[] Reserve(Seq2SeqModel model, int largest, DecoderArena arena)
    {
        int count = 1;
        for (int size = 4; size < largest; size *= 4)
            count++;
        if (largest > 1)
            count++;
        var tiers = new EncoderTier[count];
        int next = 1;
        for (int i = 0; i < count; i++)
        {
            tiers[i] = new EncoderTier(model, Math.Min(next, largest), arena);
            next *= 4;
        }
        return tiers;
    }

    /// <summary>The smallest tier that holds <paramref name="sources"/> (at most the largest's size).</summary>
    public static EncoderTier For(EncoderTier[] tiers, int sources)
    {
        foreach (EncoderTier tier in tiers)
        {
            if (tier.Size >= sources)
                return tier;
        }
        return tiers[^1];
    }

    /// <summary>Creates the session, after the arena is built (so that sizes too large for it were refused first).</summary>
    public void CreateSession(Seq2SeqModel model, int threads)
        => Session = model.Encoder.CreateSession(Size, model.Config.MaxSourceLength, threads);

    public void Dispose() => Session?.Dispose();
}
