using System.Numerics.Tensors;

namespace FastRnn.Decoding;

/// <summary>
/// Greedy decoding or sampling of one source, pulled a token at a time on a batch-1 decoder session; also teacher
/// forcing (<see cref="Score"/>), which walks the same steps with given tokens.
/// </summary>
internal sealed class GreedyDecoding : IDisposable
{
    private readonly Seq2SeqConfig _c;
    private readonly DecoderStep _step;
    private readonly RnnSession _session;   // batch 1
    private DecodingOptions _options = DecodingOptions.Greedy();
    private SplitMix64 _random;
    private int _produced;
    private int _limit;
    private bool _finished;

    public GreedyDecoding(Seq2SeqModel model, DecoderStep step)
    {
        _c = model.Config;
        _step = step;
        _session = model.Decoder.CreateSession(1, 1);
    }

    /// <summary>Starts decoding from the bridge state with at most <paramref name="limit"/> tokens.</summary>
    public void Begin(DecodingOptions options, int limit, DecoderBridge bridge)
    {
        _options = options;
        _random = new SplitMix64(options.Seed);
        _produced = 0;
        _limit = limit;
        _finished = false;
        Start(bridge);
    }

    public bool TryNext(out DecodedToken token)
    {
        token = default;
        if (_finished)
            return false;

        _step.Forward(_session, 1);
        Span<float> logProbs = _step.LogProbabilities(0);
        if (_produced < _options.MinLength)
            logProbs[_c.EosId] = float.NegativeInfinity;

        int id = _options.Sample ? Sampler.Sample(logProbs, _step.Probabilities, _options, ref _random) : TensorPrimitives.IndexOfMax(logProbs);
        token = new DecodedToken(id, logProbs[id]);
        _step.Previous[0] = id;
        _produced++;
        _finished = id == _c.EosId || _produced >= _limit;
        return true;
    }

    /// <summary>Feeds BOS, then target[0..T−1); writes log p (T, V) and, if not empty, the attention (T, S).</summary>
    public void Score(ReadOnlySpan<int> target, Span<float> logProbs, Span<float> attention, int sourceLength, DecoderBridge bridge)
    {
        int v = _c.TargetVocabularySize, s = sourceLength;
        Start(bridge);
        for (int t = 0; t < target.Length; t++)
        {
            _step.Forward(_session, 1);
            _step.LogProbabilities(0).CopyTo(logProbs.Slice(t * v, v));
            if (!attention.IsEmpty)
                _step.Attention(0, s).CopyTo(attention.Slice(t * s, s));
            _step.Previous[0] = target[t];
        }
    }

    public void Dispose() => _session.Dispose();

    private void Start(DecoderBridge bridge)
    {
        bridge.Start(_session, 1);
        _step.Start();
    }
}
