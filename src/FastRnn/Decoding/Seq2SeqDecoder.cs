namespace FastRnn.Decoding;

/// <summary>
/// Decodes one source at a time: <see cref="Encode"/> a source, then pull tokens one by one (greedy or sampling:
/// <see cref="Begin"/>/<see cref="TryNext"/>) or beam steps (<see cref="BeginBeam"/>/<see cref="AdvanceBeam"/>); or
/// several sources at once (<see cref="EncodeBatch"/>/<see cref="DecodeBatch"/>).
/// Every buffer is allocated when the decoder is created; encoding and every token allocate nothing. Not thread-safe.
/// </summary>
/// <remarks>
/// This type only checks arguments and the order of calls; the work is done by its parts (see
/// <see cref="Seq2SeqDecoderParts"/>), whose buffers are all carved from one arena.
/// </remarks>
public sealed class Seq2SeqDecoder : IDisposable
{
    private enum Mode { None, Encoded, Pulling, Beam, Batch }

    private readonly Seq2SeqConfig _c;
    private Seq2SeqDecoderParts? _parts;
    private Mode _mode;
    private int _sourceLength;
    private int _batchCount;

    internal Seq2SeqDecoder(Seq2SeqModel model, int beamSize, int maxOutputLength)
    {
        if (beamSize < 1 || beamSize > 1024)
            throw new ArgumentOutOfRangeException(nameof(beamSize), beamSize, "beam size must be in 1..1024");
        if (maxOutputLength < 1 || maxOutputLength > 1 << 16)
            throw new ArgumentOutOfRangeException(nameof(maxOutputLength), maxOutputLength, "maximum output length must be in 1..65536");
        _c = model.Config;
        BeamCapacity = beamSize;
        MaxOutputLength = maxOutputLength;
        _parts = new Seq2SeqDecoderParts(model, beamSize, maxOutputLength);
    }

    /// <summary>The largest beam this decoder can search with, and the largest batch it decodes.</summary>
    public int BeamCapacity { get; }

    /// <summary>The most tokens one output can have.</summary>
    public int MaxOutputLength { get; }

    /// <summary>Length of the encoded source.</summary>
    public int SourceLength => _sourceLength;

    /// <summary>Attention weights over the source (length <see cref="SourceLength"/>) of the last token of stream 0.</summary>
    /// <exception cref="ObjectDisposedException">The decoder was disposed.</exception>
    public ReadOnlySpan<float> Attention => Parts.Step.Attention(0, _sourceLength);

    /// <summary>Number of finished hypotheses available from <see cref="GetBeamResult"/> (at most NBest).</summary>
    public int BeamResultCount => _parts?.Beam.ResultCount ?? 0;

    /// <summary>Live hypotheses between beam steps.</summary>
    public int LiveCount => _parts?.Beam.LiveCount ?? 0;

    /// <summary>
    /// Encodes a source (ids in the source vocabulary, framed as the model expects: see
    /// <see cref="Seq2SeqModel.EncodeText(string)"/>) and prepares the decoder's initial state. Replaces any previous
    /// source; the decoder is then reused without allocating.
    /// </summary>
    /// <exception cref="ArgumentException">The source is empty, too long, or has an id outside the vocabulary.</exception>
    public void Encode(ReadOnlySpan<int> source)
    {
        Seq2SeqDecoderParts parts = Parts;
        parts.Encode(source);
        _sourceLength = source.Length;
        _mode = Mode.Encoded;
    }

    /// <summary>Starts greedy decoding or sampling of the encoded source; then call <see cref="TryNext"/> per token.</summary>
    /// <exception cref="InvalidOperationException">No source was encoded.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (named in the message).</exception>
    public void Begin(DecodingOptions options)
    {
        Seq2SeqDecoderParts parts = Parts;
        ArgumentNullException.ThrowIfNull(options);
        RequireSource();
        CheckLimits(options);
        if (options.Sample)
            Sampler.Validate(options);
        parts.Greedy.Begin(options, LengthLimit(options), parts.Bridge);
        _mode = Mode.Pulling;
    }

    /// <summary>
    /// Decodes the next token: its id and log-probability; <see cref="Attention"/> then holds its attention weights.
    /// Returns false once EOS was produced or the length limit reached. Stopping early is just not calling again.
    /// </summary>
    public bool TryNext(out DecodedToken token)
    {
        Seq2SeqDecoderParts parts = Parts;
        if (_mode != Mode.Pulling)
            throw new InvalidOperationException("call Encode and then Begin before TryNext");
        return parts.Greedy.TryNext(out token);
    }

    /// <summary>Greedy (or sampled) decoding to the end, writing ids to <paramref name="tokens"/>; returns how many.</summary>
    public int Decode(DecodingOptions options, Span<int> tokens, out float logProbability)
    {
        Begin(options);
        int n = 0;
        logProbability = 0f;
        while (n < tokens.Length && TryNext(out DecodedToken token))
        {
            tokens[n++] = token.Id;
            logProbability += token.LogProbability;
        }
        return n;
    }

    /// <summary>
    /// Teacher forcing: feeds BOS and then <paramref name="target"/>[0..T−1) and writes, for every step t, the
    /// log-probabilities over the target vocabulary to <paramref name="logProbs"/> (T, V) and, if not empty, the
    /// attention weights to <paramref name="attention"/> (T, S). Scores a given output, or checks a model against its
    /// training framework.
    /// </summary>
    /// <exception cref="ArgumentException">A target id is outside the vocabulary, or a span has the wrong length.</exception>
    public void Score(ReadOnlySpan<int> target, Span<float> logProbs, Span<float> attention)
    {
        Seq2SeqDecoderParts parts = Parts;
        RequireSource();
        int v = _c.TargetVocabularySize, s = _sourceLength, steps = target.Length;
        if (logProbs.Length != (long)steps * v)
            throw new ArgumentException($"logProbs has {logProbs.Length} floats; expected (T, V) = ({steps}, {v})", nameof(logProbs));
        if (!attention.IsEmpty && attention.Length != (long)steps * s)
            throw new ArgumentException($"attention has {attention.Length} floats; expected (T, S) = ({steps}, {s}) or none", nameof(attention));
        for (int t = 0; t < steps; t++)
        {
            if ((uint)target[t] >= (uint)v)
                throw new ArgumentException($"target token {t} has id {target[t]}, outside the target vocabulary 0..{v - 1}", nameof(target));
        }
        parts.Greedy.Score(target, logProbs, attention, s, parts.Bridge);
        _mode = Mode.Encoded;
    }

    /// <summary>Starts a beam search of the encoded source; then call <see cref="AdvanceBeam"/> until it returns false.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Beam size 0 or above <see cref="BeamCapacity"/>, or another bad option.</exception>
    public void BeginBeam(BeamOptions options)
    {
        Seq2SeqDecoderParts parts = Parts;
        ArgumentNullException.ThrowIfNull(options);
        RequireSource();
        CheckLimits(options);
        if (options.BeamSize < 1 || options.BeamSize > BeamCapacity)
            throw new ArgumentOutOfRangeException(nameof(options), options.BeamSize, $"beam size must be in 1..{BeamCapacity} (the decoder's capacity)");
        if (options.NBest < 1 || options.NBest > options.BeamSize)
            throw new ArgumentOutOfRangeException(nameof(options), options.NBest, "NBest must be in 1..BeamSize");
        parts.Beam.Begin(options, LengthLimit(options), parts.Bridge);
        _mode = Mode.Beam;
    }

    /// <summary>
    /// One beam step: expands every live hypothesis by one token. Returns false when the search has ended (then read
    /// <see cref="GetBeamResult"/>). Between steps, <see cref="LiveCount"/> and <see cref="LiveTokens"/> show the beam.
    /// </summary>
    public bool AdvanceBeam()
    {
        Seq2SeqDecoderParts parts = Parts;
        if (_mode != Mode.Beam)
            throw new InvalidOperationException("call Encode and then BeginBeam before AdvanceBeam");
        return parts.Beam.Advance();
    }

    /// <summary>Tokens of live hypothesis <paramref name="index"/> so far (without BOS).</summary>
    public ReadOnlySpan<int> LiveTokens(int index) => Parts.Beam.LiveTokens(index);

    /// <summary>Runs a whole beam search; returns <see cref="BeamResultCount"/>.</summary>
    public int BeamSearch(BeamOptions options)
    {
        BeginBeam(options);
        while (AdvanceBeam())
        {
        }
        return BeamResultCount;
    }

    /// <summary>
    /// Finished hypothesis <paramref name="rank"/> (0 = best): its tokens (without BOS, with EOS if it produced one),
    /// summed log-probability and length-normalized score.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is not below <see cref="BeamResultCount"/>.</exception>
    /// <exception cref="ObjectDisposedException">The decoder was disposed.</exception>
    public ReadOnlySpan<int> GetBeamResult(int rank, out float score, out float normalizedScore)
        => Parts.Beam.Result(rank, out score, out normalizedScore);

    /// <summary>
    /// Encodes several sources of different lengths at once, for <see cref="DecodeBatch"/>: <paramref name="tokens"/> is
    /// (B, width) row-major, source b being its first <c>lengths[b]</c> ids (the rest is ignored); B ≤
    /// <see cref="BeamCapacity"/>. The encoder runs all of them as one batch with per-source lengths (a backward
    /// direction starts at each source's own end), and each decoder stream attends to its own source only.
    /// </summary>
    /// <exception cref="ArgumentException">A length, an id or a span size is wrong; the message names which.</exception>
    public void EncodeBatch(ReadOnlySpan<int> tokens, int width, ReadOnlySpan<int> lengths)
    {
        Seq2SeqDecoderParts parts = Parts;
        parts.EncodeBatch(tokens, width, lengths);
        _batchCount = lengths.Length;
        _mode = Mode.Batch;
    }

    /// <summary>
    /// Greedy decoding (or sampling) of every source given to <see cref="EncodeBatch"/> in lock-step: output b is written
    /// to <paramref name="tokens"/>[b·width ..] and its length to <paramref name="lengths"/>[b]. Streams that finish early
    /// stop writing; the batch ends when all have finished.
    /// </summary>
    public void DecodeBatch(DecodingOptions options, Span<int> tokens, int width, Span<int> lengths)
    {
        Seq2SeqDecoderParts parts = Parts;
        ArgumentNullException.ThrowIfNull(options);
        if (_mode != Mode.Batch)
            throw new InvalidOperationException("call EncodeBatch before DecodeBatch");
        CheckLimits(options);
        if (options.Sample)
            Sampler.Validate(options);
        int count = _batchCount;
        if (width < 1 || tokens.Length < (long)count * width || lengths.Length < count)
            throw new ArgumentException($"outputs need (B, width) = ({count}, {width}) token slots and {count} lengths");
        parts.Batch.Decode(options, count, tokens, width, lengths, parts.Bridge);
    }

    /// <summary>
    /// Disposes the decoder's encoder and decoder sessions and drops its arena (every buffer of the decoder is in it),
    /// so their memory can be collected even while this object is still referenced. Every later call, and
    /// <see cref="Attention"/>, <see cref="LiveTokens"/> and <see cref="GetBeamResult"/>, throws
    /// <see cref="ObjectDisposedException"/>; <see cref="BeamResultCount"/> and <see cref="LiveCount"/> read 0. Calling it
    /// again does nothing.
    /// </summary>
    public void Dispose()
    {
        _parts?.Dispose();
        _parts = null;
    }

    private Seq2SeqDecoderParts Parts
    {
        get
        {
            ObjectDisposedException.ThrowIf(_parts is null, this);
            return _parts;
        }
    }

    private void RequireSource()
    {
        if (_mode is Mode.None or Mode.Batch)
            throw new InvalidOperationException("no single source is encoded: call Encode first (EncodeBatch goes with DecodeBatch)");
    }

    private int LengthLimit(LengthLimits limits) => limits.Limit(MaxOutputLength, _sourceLength);

    private static void CheckLimits(LengthLimits limits) => limits.Validate(nameof(limits));
}
