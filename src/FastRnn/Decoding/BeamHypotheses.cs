using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>Where a beam finds each live hypothesis's log-probabilities after a decoding step.</summary>
internal interface IHypothesisRows
{
    /// <summary>log p (V) of live hypothesis <paramref name="hypothesis"/>.</summary>
    ReadOnlySpan<float> LogProbabilities(int hypothesis);
}

/// <summary>
/// The search state of one beam (docs/seq2seq.md, "Search"): the live hypotheses with their tokens and scores, the 2k
/// candidates of a step, and the finished hypotheses, ranked at the end. It does not step a decoder: its driver steps
/// the live hypotheses, calls <see cref="Select"/>, then moves each decoder stream j to the state of its
/// <see cref="Parents"/>[j] and feeds it <see cref="LastToken"/>(j). A decoder with one source and a pool of many
/// requests drive it alike, so both make the same choices from the same log-probabilities.
/// </summary>
internal sealed class BeamHypotheses
{
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena;
    private readonly int _width;           // L, the longest output
    private ArenaSlice _tokens;            // (k, L) ints: live hypotheses' tokens
    private ArenaSlice _nextTokens;        // (k, L) ints
    private readonly ArenaSlice _scores;   // (k)
    private readonly ArenaSlice _parents;  // (k) ints
    private readonly ArenaSlice _candidateScore;      // (2k), best first
    private readonly ArenaSlice _candidateHypothesis; // (2k) ints
    private readonly ArenaSlice _candidateToken;      // (2k) ints
    private readonly ArenaSlice _finishedTokens;      // (3k, L) ints
    private readonly ArenaSlice _finishedLength;      // (3k) ints
    private readonly ArenaSlice _finishedRaw;         // (3k)
    private readonly ArenaSlice _finishedNormalized;  // (3k)
    private readonly ArenaSlice _ranking;             // (3k) ints: finished indices, best first
    private BeamOptions _options = new();
    private int _limit;
    private int _finishedCount;

    public BeamHypotheses(Seq2SeqConfig config, int capacity, int maxOutputLength, DecoderArena arena)
    {
        _c = config;
        _arena = arena;
        Capacity = capacity;
        _width = maxOutputLength;
        long k = capacity, hypotheses = checked(k * maxOutputLength);
        _tokens = arena.Reserve(hypotheses);
        _nextTokens = arena.Reserve(hypotheses);
        _scores = arena.Reserve(k);
        _parents = arena.Reserve(k);
        _candidateScore = arena.Reserve(2 * k);
        _candidateHypothesis = arena.Reserve(2 * k);
        _candidateToken = arena.Reserve(2 * k);
        // At most k − 1 finish before the last step, which adds at most k EOS candidates and then the k live ones.
        _finishedTokens = arena.Reserve(checked(3 * hypotheses));
        _finishedLength = arena.Reserve(3 * k);
        _finishedRaw = arena.Reserve(3 * k);
        _finishedNormalized = arena.Reserve(3 * k);
        _ranking = arena.Reserve(3 * k);
    }

    /// <summary>The largest beam this state holds.</summary>
    public int Capacity { get; }

    /// <summary>Live hypotheses: the decoder streams to step next.</summary>
    public int LiveCount { get; private set; }

    /// <summary>Steps taken: the length of every live hypothesis.</summary>
    public int StepCount { get; private set; }

    /// <summary>Whether the search has ended; then <see cref="Result"/> holds its outcome.</summary>
    public bool Done { get; private set; }

    /// <summary>Number of finished hypotheses available from <see cref="Result"/> (at most NBest).</summary>
    public int ResultCount { get; private set; }

    /// <summary>After <see cref="Select"/>: live hypothesis j continues hypothesis Parents[j] of the step before.</summary>
    public ReadOnlySpan<int> Parents => _arena.Ints(_parents)[..LiveCount];

    public ReadOnlySpan<int> LiveTokens(int index) => _arena.Ints(_tokens).Slice(index * _width, StepCount);

    /// <summary>The token live hypothesis <paramref name="index"/> feeds at the next step.</summary>
    public int LastToken(int index) => _arena.Ints(_tokens)[index * _width + StepCount - 1];

    /// <summary>Starts a search from one live hypothesis (BOS) with at most <paramref name="limit"/> tokens.</summary>
    public void Begin(BeamOptions options, int limit)
    {
        _options = options;
        _limit = limit;
        LiveCount = 1;
        _arena[_scores][0] = 0f;
        _finishedCount = 0;
        StepCount = 0;
        Done = false;
        ResultCount = 0;
    }

    /// <summary>
    /// After the live hypotheses were stepped: keeps the best k continuations (finishing those that end in EOS), sets
    /// <see cref="Parents"/> and the live tokens, and ends the search when it is over.
    /// </summary>
    public void Select<TRows>(TRows rows) where TRows : IHypothesisRows, allows ref struct
    {
        int k = _options.BeamSize, v = _c.TargetVocabularySize, width = _width;
        StepCount++;
        bool eosAllowed = StepCount - 1 >= _options.MinLength;
        Span<float> scores = _arena[_scores], candidateScore = _arena[_candidateScore];
        Span<int> candidateHypothesis = _arena.Ints(_candidateHypothesis), candidateToken = _arena.Ints(_candidateToken);

        // The 2k best (hypothesis, token) pairs, best first; strict comparison keeps earlier pairs ahead on ties.
        int wanted = Math.Min(2 * k, LiveCount * v), count = 0;
        for (int hyp = 0; hyp < LiveCount; hyp++)
        {
            ReadOnlySpan<float> logProbs = rows.LogProbabilities(hyp);
            for (int token = 0; token < v; token++)
            {
                if (token == _c.EosId && !eosAllowed)
                    continue;
                float score = scores[hyp] + logProbs[token];
                if (count == wanted && !(score > candidateScore[count - 1]))
                    continue;
                int at = count == wanted ? count - 1 : count++;
                while (at > 0 && score > candidateScore[at - 1])
                {
                    candidateScore[at] = candidateScore[at - 1];
                    candidateHypothesis[at] = candidateHypothesis[at - 1];
                    candidateToken[at] = candidateToken[at - 1];
                    at--;
                }
                candidateScore[at] = score;
                candidateHypothesis[at] = hyp;
                candidateToken[at] = token;
            }
        }

        Span<int> tokens = _arena.Ints(_tokens), nextTokens = _arena.Ints(_nextTokens), parents = _arena.Ints(_parents);
        int live = 0;
        for (int i = 0; i < count && live < k; i++)
        {
            int hyp = candidateHypothesis[i], token = candidateToken[i];
            if (token == _c.EosId)
            {
                Finish(tokens.Slice(hyp * width, StepCount - 1), token, candidateScore[i]);
                continue;
            }
            tokens.Slice(hyp * width, StepCount - 1).CopyTo(nextTokens[(live * width)..]);
            nextTokens[live * width + StepCount - 1] = token;
            scores[live] = candidateScore[i];
            parents[live] = hyp;
            live++;
        }
        parents[live..].Clear();
        (_tokens, _nextTokens) = (_nextTokens, _tokens);
        LiveCount = live;

        if (_finishedCount >= k || StepCount >= _limit || live == 0)
        {
            // k finished ends the search and drops the live ones; otherwise (the length limit) they finish as they are.
            if (_finishedCount < k)
            {
                for (int j = 0; j < live; j++)
                    Finish(_arena.Ints(_tokens).Slice(j * width, StepCount), -1, scores[j]);
            }
            Rank();
            Done = true;
        }
    }

    public ReadOnlySpan<int> Result(int rank, out float score, out float normalizedScore)
    {
        if ((uint)rank >= (uint)ResultCount)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"there are {ResultCount} results");
        int i = _arena.Ints(_ranking)[rank];
        score = _arena[_finishedRaw][i];
        normalizedScore = _arena[_finishedNormalized][i];
        return _arena.Ints(_finishedTokens).Slice(i * _width, _arena.Ints(_finishedLength)[i]);
    }

    // Records a finished hypothesis: `prefix` plus `eos` (or nothing when eos < 0).
    private void Finish(ReadOnlySpan<int> prefix, int eos, float score)
    {
        int i = _finishedCount++;
        Span<int> finished = _arena.Ints(_finishedTokens).Slice(i * _width, _width);
        prefix.CopyTo(finished);
        int length = prefix.Length;
        if (eos >= 0)
            finished[length++] = eos;
        _arena.Ints(_finishedLength)[i] = length;
        _arena[_finishedRaw][i] = score;
        float alpha = _options.Alpha;
        _arena[_finishedNormalized][i] = _options.Penalty switch
        {
            LengthPenalty.Average => score / MathF.Pow(length, alpha),
            LengthPenalty.Wu => score / MathF.Pow((5f + length) / 6f, alpha),
            _ => score,
        };
    }

    // Insertion sort by normalized score, best first; equal scores keep the order they finished in.
    private void Rank()
    {
        Span<int> ranking = _arena.Ints(_ranking);
        Span<float> normalized = _arena[_finishedNormalized];
        for (int i = 0; i < _finishedCount; i++)
        {
            int at = i;
            while (at > 0 && normalized[i] > normalized[ranking[at - 1]])
            {
                ranking[at] = ranking[at - 1];
                at--;
            }
            ranking[at] = i;
        }
        ResultCount = Math.Min(_options.NBest, _finishedCount);
    }
}
