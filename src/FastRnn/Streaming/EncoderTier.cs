using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>
/// One encoder batch size of a <see cref="Seq2SeqPool"/>: a batch encoder session of that many streams, with the batch
/// encoder and bridge that go with it. A pool keeps sizes 2, 4, 16 so that the sources waiting at a step are encoded by
/// a small batch that holds them (a batch session's unused streams cost little: a ragged run sorted longest first steps
/// only the streams still running).
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

    /// <summary>
    /// Reserves the tiers 2, 4, 16 up to <paramref name="largest"/> (always included; 1 only when it is the largest). No
    /// tier has one stream when the pool has two or more, so every source goes through the same batched products
    /// whatever it is encoded with, and its encoding is the same to the bit (a one-stream session would take the
    /// matrix–vector path).
    /// </summary>
    public static EncoderTier[] Reserve(Seq2SeqModel model, int largest, DecoderArena arena)
    {
        var sizes = new List<int>();
        for (int size = 2; size < largest; size = size == 2 ? 4 : size * 4)
            sizes.Add(size);
        sizes.Add(largest);
        return [.. sizes.Select(size => new EncoderTier(model, size, arena))];
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
