using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// Encodes one source: embeddings, the encoder stack over the whole source at once, the attention keys, and the
/// decoder's initial state; every decoder stream then attends to that source.
/// </summary>
internal sealed class SourceEncoder
{
    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena;
    private readonly ArenaSlice _embedded;    // (S_max, E_src)

    public SourceEncoder(Seq2SeqModel model, DecoderArena arena)
    {
        _model = model;
        _c = model.Config;
        _arena = arena;
        _embedded = arena.Reserve(model.EncoderProjection is null ? checked((long)_c.MaxSourceLength * _c.SourceEmbeddingSize) : 0);
    }

    /// <summary>Checks one source for a model of <paramref name="c"/>: not empty, not too long, every id in the vocabulary.</summary>
    /// <exception cref="ArgumentException">The source is empty, too long, or has an id outside the vocabulary.</exception>
    public static void Check(Seq2SeqConfig c, ReadOnlySpan<int> source)
    {
        if (source.IsEmpty)
            throw new ArgumentException("the source is empty; a seq2seq model needs at least one source token", nameof(source));
        if (source.Length > c.MaxSourceLength)
            throw new ArgumentException($"the source has {source.Length} tokens; this model accepts at most {c.MaxSourceLength}", nameof(source));
        for (int i = 0; i < source.Length; i++)
        {
            if ((uint)source[i] >= (uint)c.SourceVocabularySize)
                throw new ArgumentException($"source token {i} has id {source[i]}, outside the source vocabulary 0..{c.SourceVocabularySize - 1}", nameof(source));
        }
    }

    /// <summary>Runs <paramref name="encoder"/> (batch 1, the whole source at once) over <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">The source is empty, too long, or has an id outside the vocabulary.</exception>
    public void Encode(RnnSession encoder, ReadOnlySpan<int> source, AttentionMemory memory, DecoderBridge bridge)
    {
        Check(_c, source);
        encoder.Reset();
        if (_model.EncoderProjection is { } projection)
        {
            encoder.RunTokens(source, projection, memory.Block(0, source.Length));
        }
        else
        {
            int e = _c.SourceEmbeddingSize;
            Span<float> embedded = _arena[_embedded];
            for (int i = 0; i < source.Length; i++)
                _model.SourceEmbedding[source[i]].CopyTo(embedded.Slice(i * e, e));
            encoder.Run(embedded[..(source.Length * e)], memory.Block(0, source.Length));
        }
        memory.PrecomputeKeys(0, source.Length);
        memory.AttendAllToOne(source.Length);
        bridge.FromEncoder(encoder);
    }
}
