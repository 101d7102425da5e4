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
    private readonly RnnSession _batchEncoder;  // batch k (the same session when k = 1)
    private readonly RnnSession _streams;       // batch k: one stream per hypothesis or per batch source

    public Seq2SeqDecoderParts(Seq2SeqModel model, int capacity, int maxOutputLength)
    {
        Seq2SeqConfig c = model.Config;
        try
        {
            Step = new DecoderStep(model, capacity, _arena);
            Bridge = new DecoderBridge(model, capacity, _arena);
            _encoder = model.Encoder.CreateSession(1, c.MaxSourceLength);
            _batchEncoder = capacity == 1 ? _encoder : model.Encoder.CreateSession(capacity, c.MaxSourceLength);
            _streams = model.Decoder.CreateSession(capacity, 1);
            SourceEncoder = new SourceEncoder(model, _encoder, _arena);
            BatchEncoder = new BatchEncoder(model, _batchEncoder, _arena);
            Greedy = new GreedyDecoding(model, Step);
            Beam = new BeamSearch(model, Step, _streams, maxOutputLength, _arena);
            Batch = new BatchDecoding(model, Step, _streams, maxOutputLength, _arena);
        }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            // A size product too large for one array: say which sizes, rather than failing later or wrapping around.
            throw new ArgumentOutOfRangeException(
                $"a decoder with beam capacity {capacity}, maximum output length {maxOutputLength}, maximum source length {c.MaxSourceLength}, " +
                $"encoder output width {c.MemorySize}, decoder hidden size {c.DecoderHiddenSize} and target vocabulary {c.TargetVocabularySize} " +
                $"needs buffers larger than one array can hold ({e.Message}); use a smaller beam or maximum output length", e);
        }
        _arena.Build();
    }

    public DecoderStep Step { get; }

    public DecoderBridge Bridge { get; }

    public SourceEncoder SourceEncoder { get; }

    public BatchEncoder BatchEncoder { get; }

    public GreedyDecoding Greedy { get; }

    public BeamSearch Beam { get; }

    public BatchDecoding Batch { get; }

    public void Dispose()
    {
        Greedy.Dispose();
        _streams.Dispose();
        _batchEncoder.Dispose();
        _encoder.Dispose();
        _arena.Release();
    }
}
