using System.Numerics.Tensors;

namespace FastRnn.Decoding;

public sealed partial class Seq2SeqDecoder
{
    private enum Mode { None, Encoded, Pulling, Beam }

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
        {
            if (!(options.Temperature > 0f) || float.IsInfinity(options.Temperature))
                throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "Temperature must be positive and finite");
            if (options.TopK < 0)
                throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be 0 (off) or positive");
            if (!(options.TopP > 0f && options.TopP <= 1f))
                throw new ArgumentOutOfRangeException(nameof(options), options.TopP, "TopP must be in (0, 1]");
        }
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

        int id = _options.Sample ? SampleFrom(logProbs) : TensorPrimitives.IndexOfMax(logProbs);
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

    // Temperature, then top-k, then top-p, then one draw. _probabilities holds the distribution.
    private int SampleFrom(ReadOnlySpan<float> logProbs)
    {
        Span<float> p = _probabilities;
        TensorPrimitives.Divide(logProbs, _options.Temperature, p);
        Kernels.Softmax.InPlace(p);

        if (_options.TopK > 0 && _options.TopK < p.Length)
        {
            // The k-th largest probability is the threshold; ties at the threshold stay in.
            float threshold = KthLargest(p, _options.TopK);
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < threshold)
                    p[i] = 0f;
            }
        }
        if (_options.TopP < 1f)
        {
            // Keep the most likely tokens until their mass reaches p: find the smallest probability that must stay.
            float total = TensorPrimitives.Sum(p), kept = 0f, floor = float.PositiveInfinity;
            while (kept < _options.TopP * total)
            {
                float best = 0f;
                for (int i = 0; i < p.Length; i++)
                {
                    if (p[i] < floor && p[i] > best)
                        best = p[i];
                }
                if (best == 0f)
                    break;
                for (int i = 0; i < p.Length; i++)
                {
                    if (p[i] == best)
                        kept += best;
                }
                floor = best;
            }
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < floor)
                    p[i] = 0f;
            }
        }

        double draw = _random.NextDouble() * TensorPrimitives.Sum(p), cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0f)
                continue;
            last = i;
            cumulative += p[i];
            if (draw < cumulative)
                return i;
        }
        return last;
    }

    private static float KthLargest(ReadOnlySpan<float> p, int k)
    {
        // k passes of "largest below the previous": O(k·V) without a sort buffer; k is small in practice.
        float bound = float.PositiveInfinity, value = 0f;
        int counted = 0;
        while (counted < k)
        {
            value = float.NegativeInfinity;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] < bound && p[i] > value)
                    value = p[i];
            }
            if (float.IsNegativeInfinity(value))
                break;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] == value)
                    counted++;
            }
            bound = value;
        }
        return value;
    }

    private void RequireSource()
    {
        if (_mode == Mode.None)
            throw new InvalidOperationException("no source is encoded: call Encode first");
    }
}
