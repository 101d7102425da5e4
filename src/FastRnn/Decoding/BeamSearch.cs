using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// Beam search of one source (docs/seq2seq.md, "Search") on a decoder session with one stream per hypothesis:
/// the live hypotheses, the 2k candidates of a step, and the finished hypotheses with their scores.
/// </summary>
internal sealed class BeamSearch
{
    private readonly Seq2SeqConfig _c;
    private readonly DecoderStep _step;
    private readonly RnnSession _session;  // batch k
    private readonly DecoderArena _arena;
    private readonly int _capacity;
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
    private int _live;
    private int _finishedCount;
    private int _stepCount;
    private bool _done;

    public BeamSearch(Seq2SeqModel model, DecoderStep step, RnnSession session, int maxOutputLength, DecoderArena arena)
    {
        _c = model.Config;
        _step = step;
        _session = session;
        _arena = arena;
        _capacity = session.BatchSize;
        _width = maxOutputLength;
        long k = _capacity, hypotheses = checked(k * maxOutputLength);
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

    /// <summary>Number of finished hypotheses available from <see cref="Result"/> (at most NBest).</summary>
    public int ResultCount { get; private set; }

    public int LiveCount => _live;

    public ReadOnlySpan<int> LiveTokens(int index) => _arena.Ints(_tokens).Slice(index * _width, _stepCount);

    public void Begin(BeamOptions options, int limit, DecoderBridge bridge)
    {
        _options = options;
        _limit = limit;
        _live = 1;
        _arena[_scores][0] = 0f;
        _finishedCount = 0;
        _stepCount = 0;
        _done = false;
        ResultCount = 0;
        bridge.Start(_session, _capacity);
        _step.Start();
    }

    public bool Advance()
    {
        if (_done)
            return false;

        int k = _options.BeamSize, v = _c.TargetVocabularySize, width = _width;
        _step.Forward(_session, _capacity);
        _stepCount++;
        bool eosAllowed = _stepCount - 1 >= _options.MinLength;
        Span<float> scores = _arena[_scores], candidateScore = _arena[_candidateScore];
        Span<int> candidateHypothesis = _arena.Ints(_candidateHypothesis), candidateToken = _arena.Ints(_candidateToken);

        // The 2k best (hypothesis, token) pairs, best first; strict comparison keeps earlier pairs ahead on ties.
        int wanted = Math.Min(2 * k, _live * v), count = 0;
        for (int hyp = 0; hyp < _live; hyp++)
        {
            ReadOnlySpan<float> logProbs = _step.LogProbabilities(hyp);
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

        Span<int> tokens = _arena.Ints(_tokens), nextTokens = _arena.Ints(_nextTokens), parents = _arena.Ints(_parents), previous = _step.Previous;
        int live = 0;
        for (int i = 0; i < count && live < k; i++)
        {
            int hyp = candidateHypothesis[i], token = candidateToken[i];
            if (token == _c.EosId)
            {
                Finish(tokens.Slice(hyp * width, _stepCount - 1), token, candidateScore[i]);
                continue;
            }
            tokens.Slice(hyp * width, _stepCount - 1).CopyTo(nextTokens[(live * width)..]);
            nextTokens[live * width + _stepCount - 1] = token;
            scores[live] = candidateScore[i];
            parents[live] = hyp;
            previous[live] = token;
            live++;
        }
        parents[live..].Clear();
        (_tokens, _nextTokens) = (_nextTokens, _tokens);
        _live = live;

        // Every stream continues from its parent's state (and, with input feeding, its parent's h̃).
        _session.ReorderStreams(parents);
        _step.ReorderAttentional(parents);

        if (_finishedCount >= k || _stepCount >= _limit || _live == 0)
        {
            // k finished ends the search and drops the live ones; otherwise (the length limit) they finish as they are.
            if (_finishedCount < k)
            {
                for (int j = 0; j < _live; j++)
                    Finish(_arena.Ints(_tokens).Slice(j * width, _stepCount), -1, scores[j]);
            }
            Rank();
            _done = true;
        }
        return true;
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
