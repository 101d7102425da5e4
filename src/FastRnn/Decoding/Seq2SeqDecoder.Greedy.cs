using System.Numerics.Tensors;

namespace FastRnn.Decoding;

public sealed partial class Seq2SeqDecoder
{
    private enum Mode { None, Encoded, Pulling, Beam, Batch }

    private Mode _mode;
    private DecodingOptions _options = DecodingOptions.Greedy();
    private SplitMix64 _random;
    private int _produced;
    private int _limit;
    private bool _finished;

    /// <summary>Starts greedy decoding or sampling of the encoded source; then call <see cref="TryNext"/> per token.</summary>
    /// <exception cref="InvalidOperationException">No source was encoded.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (named in the message).</exception>
    public void Begin(DecodingOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(options);
        RequireSource();
        CheckLimits(options);
        if (options.Sample)
            Sampler.Validate(options);
        _options = options;
        _random = new SplitMix64(options.Seed);
        _produced = 0;
        _limit = LengthLimit(options);
        _finished = false;
        StartStreams(_single, 1);
        _mode = Mode.Pulling;
    }

    /// <summary>
    /// Decodes the next token: its id and log-probability; <see cref="Attention"/> then holds its attention weights.
    /// Returns false once EOS was produced or the length limit reached. Stopping early is just not calling again.
    /// </summary>
    public bool TryNext(out DecodedToken token)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_mode != Mode.Pulling)
            throw new InvalidOperationException("call Encode and then Begin before TryNext");
        token = default;
        if (_finished)
            return false;

        Forward(_single, 1);
        int v = _c.TargetVocabularySize;
        Span<float> logProbs = _logProbs.AsSpan(0, v);
        if (_produced < _options.MinLength)
            logProbs[_c.EosId] = float.NegativeInfinity;

        int id = _options.Sample ? Sampler.Sample(logProbs, _probabilities, _options, ref _random) : TensorPrimitives.IndexOfMax(logProbs);
        token = new DecodedToken(id, logProbs[id]);
        _previous[0] = id;
        _produced++;
        _finished = id == _c.EosId || _produced >= _limit;
        return true;
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

    private void RequireSource()
    {
        if (_mode is Mode.None or Mode.Batch)
            throw new InvalidOperationException("no single source is encoded: call Encode first (EncodeBatch goes with DecodeBatch)");
    }
}
