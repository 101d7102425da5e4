namespace FastRnn.Decoding;

/// <summary>
/// What a <see cref="Seq2SeqDecoder"/> is made of: the one-step computation, the encoders that fill its memory and
/// initial state, and the three searches, each owning its own state; every buffer of every part is carved from one
/// arena, allocated here once all parts have reserved theirs.
/// </summary>
internal sealed class Seq2SeqDecoderParts : IDisposable
{
    private readonly DecoderArena _arena = new();
    private readonly RnnSession _encoder;       // batch 1, the whole source at once
    private readonly RnnSession _batchEncoderSession;  // batch k (the same session when k = 1)
    private readonly SourceEncoder _sourceEncoder;
    private readonly BatchEncoder _batchEncoder;
    private readonly RnnSession _streams;       // batch k: one stream per hypothesis or per batch source

    public Seq2SeqDecoderParts(Seq2SeqModel model, int capacity, int maxOutputLength)
    {
        Seq2SeqConfig c = model.Config;
        try
        {
            // Every slice is reserved before the encoder sessions (the parts sized by S_max × k) are created, so sizes
            // too large for one arena are refused before anything large is allocated.
            Step = new DecoderStep(model, capacity, _arena);
            Bridge = new DecoderBridge(model, capacity, _arena);
            _streams = model.Decoder.CreateSession(capacity, 1);
            Greedy = new GreedyDecoding(model, Step);
            Beam = new BeamSearch(model, Step, _streams, maxOutputLength, _arena);
            Batch = new BatchDecoding(model, Step, _streams, maxOutputLength, _arena);
            _sourceEncoder = new SourceEncoder(model, _arena);
            _batchEncoder = new BatchEncoder(model, capacity, _arena);
            _arena.Build();
        }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            // A size product too large for one array: say which sizes, rather than failing later or wrapping around.
            throw new ArgumentOutOfRangeException(
                $"a decoder with beam capacity {capacity}, maximum output length {maxOutputLength}, maximum source length {c.MaxSourceLength}, " +
                $"encoder output width {c.MemorySize}, decoder hidden size {c.DecoderHiddenSize} and target vocabulary {c.TargetVocabularySize} " +
                $"needs buffers larger than one array can hold ({e.Message}); use a smaller beam or maximum output length", e);
        }
        _encoder = model.Encoder.CreateSession(1, c.MaxSourceLength);
        _batchEncoderSession = capacity == 1 ? _encoder : model.Encoder.CreateSession(capacity, c.MaxSourceLength);
    }

    public DecoderStep Step { get; }

    public DecoderBridge Bridge { get; }

    public GreedyDecoding Greedy { get; }

    public BeamSearch Beam { get; }

    public BatchDecoding Batch { get; }

    /// <summary>Encodes one source; every stream then attends to it.</summary>
    public void Encode(ReadOnlySpan<int> source) => _sourceEncoder.Encode(_encoder, source, Step.Memory, Bridge);

    /// <summary>Encodes a batch of sources; stream b then attends to source b.</summary>
    public void EncodeBatch(ReadOnlySpan<int> tokens, int width, ReadOnlySpan<int> lengths)
        => _batchEncoder.Encode(_batchEncoderSession, tokens, width, lengths, Step.Memory, Bridge);

    public void Dispose()
    {
        Greedy.Dispose();
        _streams.Dispose();
        _batchEncoderSession.Dispose();
        _encoder.Dispose();
        _arena.Release();
    }
}
