namespace FastRnn.Decoding;

public sealed partial class Seq2SeqDecoder
{
    private int[] _tokens = [];        // (k, L): live hypotheses' tokens
    private int[] _nextTokens = [];    // (k, L)
    private float[] _scores = [];      // (k)
    private int[] _parents = [];       // (k)
    private float[] _candidateScore = []; // (2k), best first
    private int[] _candidateHypothesis = [];
    private int[] _candidateToken = [];
    private int[] _finishedTokens = [];   // (3k, L)
    private int[] _finishedLength = [];   // (3k)
    private float[] _finishedRaw = [];
    private float[] _finishedNormalized = [];
    private int[] _ranking = [];          // finished indices, best first
    private BeamOptions _beamOptions = new();
    private int _live;
    private int _finishedCount;
    private int _step;
    private bool _beamDone;

    /// <summary>Number of finished hypotheses available from <see cref="GetBeamResult"/> (at most NBest).</summary>
    public int BeamResultCount { get; private set; }

    /// <summary>Starts a beam search of the encoded source; then call <see cref="AdvanceBeam"/> until it returns false.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Beam size 0 or above <see cref="BeamCapacity"/>, or another bad option.</exception>
    public void BeginBeam(BeamOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(options);
        RequireSource();
        CheckLimits(options);
        if (options.BeamSize < 1 || options.BeamSize > BeamCapacity)
            throw new ArgumentOutOfRangeException(nameof(options), options.BeamSize, $"beam size must be in 1..{BeamCapacity} (the decoder's capacity)");
        if (options.NBest < 1 || options.NBest > options.BeamSize)
            throw new ArgumentOutOfRangeException(nameof(options), options.NBest, "NBest must be in 1..BeamSize");
        _beamOptions = options;
        _limit = LengthLimit(options);
        _live = 1;
        _scores[0] = 0f;
        _finishedCount = 0;
        _step = 0;
        _beamDone = false;
        BeamResultCount = 0;
        StartStreams(_beam, BeamCapacity);
        _mode = Mode.Beam;
    }

    /// <summary>
    /// One beam step: expands every live hypothesis by one token. Returns false when the search has ended (then read
    /// <see cref="GetBeamResult"/>). Between steps, <see cref="LiveCount"/> and <see cref="LiveTokens"/> show the beam.
    /// </summary>
    public bool AdvanceBeam()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_mode != Mode.Beam)
            throw new InvalidOperationException("call Encode and then BeginBeam before AdvanceBeam");
        if (_beamDone)
            return false;

        int k = _beamOptions.BeamSize, v = _c.TargetVocabularySize, width = MaxOutputLength;
        Forward(_beam, BeamCapacity);
        _step++;
        bool eosAllowed = _step - 1 >= _beamOptions.MinLength;

        // The 2k best (hypothesis, token) pairs, best first; strict comparison keeps earlier pairs ahead on ties.
        int wanted = Math.Min(2 * k, _live * v), count = 0;
        for (int hyp = 0; hyp < _live; hyp++)
        {
            ReadOnlySpan<float> logProbs = _logProbs.AsSpan(hyp * v, v);
            for (int token = 0; token < v; token++)
            {
                if (token == _c.EosId && !eosAllowed)
                    continue;
                float score = _scores[hyp] + logProbs[token];
                if (count == wanted && !(score > _candidateScore[count - 1]))
                    continue;
                int at = count == wanted ? count - 1 : count++;
                while (at > 0 && score > _candidateScore[at - 1])
                {
                    _candidateScore[at] = _candidateScore[at - 1];
                    _candidateHypothesis[at] = _candidateHypothesis[at - 1];
                    _candidateToken[at] = _candidateToken[at - 1];
                    at--;
                }
                _candidateScore[at] = score;
                _candidateHypothesis[at] = hyp;
                _candidateToken[at] = token;
            }
        }

        int live = 0;
        for (int i = 0; i < count && live < k; i++)
        {
            int hyp = _candidateHypothesis[i], token = _candidateToken[i];
            if (token == _c.EosId)
            {
                Finish(_tokens.AsSpan(hyp * width, _step - 1), token, _candidateScore[i]);
                continue;
            }
            _tokens.AsSpan(hyp * width, _step - 1).CopyTo(_nextTokens.AsSpan(live * width));
            _nextTokens[live * width + _step - 1] = token;
            _scores[live] = _candidateScore[i];
            _parents[live] = hyp;
            _previous[live] = token;
            live++;
        }
        for (int j = live; j < BeamCapacity; j++)
            _parents[j] = 0;
        (_tokens, _nextTokens) = (_nextTokens, _tokens);
        _live = live;

        // Every stream continues from its parent's state (and, with input feeding, its parent's h̃).
        _beam.ReorderStreams(_parents);
        int h = _c.DecoderHiddenSize;
        _attentional.AsSpan().CopyTo(_attentionalCopy);
        for (int j = 0; j < BeamCapacity; j++)
            _attentionalCopy.AsSpan(_parents[j] * h, h).CopyTo(_attentional.AsSpan(j * h, h));

        if (_finishedCount >= k || _step >= _limit || _live == 0)
        {
            // k finished ends the search and drops the live ones; otherwise (the length limit) they finish as they are.
            if (_finishedCount < k)
            {
                for (int j = 0; j < _live; j++)
                    Finish(_tokens.AsSpan(j * width, _step), -1, _scores[j]);
            }
            Rank();
            _beamDone = true;
        }
        return true;
    }

    /// <summary>Live hypotheses between steps.</summary>
    public int LiveCount => _live;

    /// <summary>Tokens of live hypothesis <paramref name="index"/> so far (without BOS).</summary>
    public ReadOnlySpan<int> LiveTokens(int index) => _tokens.AsSpan(index * MaxOutputLength, _step);

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
    public ReadOnlySpan<int> GetBeamResult(int rank, out float score, out float normalizedScore)
    {
        if ((uint)rank >= (uint)BeamResultCount)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"there are {BeamResultCount} results");
        int i = _ranking[rank];
        score = _finishedRaw[i];
        normalizedScore = _finishedNormalized[i];
        return _finishedTokens.AsSpan(i * MaxOutputLength, _finishedLength[i]);
    }

    private void AllocateBeam(int k, int length)
    {
        _tokens = new int[k * length];
        _nextTokens = new int[k * length];
        _scores = new float[k];
        _parents = new int[k];
        _candidateScore = new float[2 * k];
        _candidateHypothesis = new int[2 * k];
        _candidateToken = new int[2 * k];
        // At most k − 1 finish before the last step, which adds at most k EOS candidates and then the k live ones.
        _finishedTokens = new int[3 * k * length];
        _finishedLength = new int[3 * k];
        _finishedRaw = new float[3 * k];
        _finishedNormalized = new float[3 * k];
        _ranking = new int[3 * k];
    }

    // Records a finished hypothesis: `prefix` plus `eos` (or nothing when eos < 0).
    private void Finish(ReadOnlySpan<int> prefix, int eos, float score)
    {
        int i = _finishedCount++, width = MaxOutputLength;
        prefix.CopyTo(_finishedTokens.AsSpan(i * width));
        int length = prefix.Length;
        if (eos >= 0)
            _finishedTokens[i * width + length++] = eos;
        _finishedLength[i] = length;
        _finishedRaw[i] = score;
        float alpha = _beamOptions.Alpha;
        _finishedNormalized[i] = _beamOptions.Penalty switch
        {
            LengthPenalty.Average => score / MathF.Pow(length, alpha),
            LengthPenalty.Wu => score / MathF.Pow((5f + length) / 6f, alpha),
            _ => score,
        };
    }

    // Insertion sort by normalized score, best first; equal scores keep the order they finished in.
    private void Rank()
    {
        for (int i = 0; i < _finishedCount; i++)
        {
            int at = i;
            while (at > 0 && _finishedNormalized[i] > _finishedNormalized[_ranking[at - 1]])
            {
                _ranking[at] = _ranking[at - 1];
                at--;
            }
            _ranking[at] = i;
        }
        BeamResultCount = Math.Min(_beamOptions.NBest, _finishedCount);
    }
}
