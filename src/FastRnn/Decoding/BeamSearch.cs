namespace FastRnn.Decoding;

/// <summary>
/// Beam search of one source (docs/seq2seq.md, "Search") on a decoder session with one stream per hypothesis: each
/// step runs every stream, <see cref="BeamHypotheses"/> chooses, and the streams take their parents' states.
/// </summary>
internal sealed class BeamSearch
{
    private readonly DecoderStep _step;
    private readonly RnnSession _session;  // batch k
    private readonly BeamHypotheses _beam;
    private readonly int _capacity;

    public BeamSearch(Seq2SeqModel model, DecoderStep step, RnnSession session, int maxOutputLength, DecoderArena arena)
    {
        _step = step;
        _session = session;
        _capacity = session.BatchSize;
        _beam = new BeamHypotheses(model.Config, _capacity, maxOutputLength, arena);
    }

    /// <summary>Number of finished hypotheses available from <see cref="Result"/> (at most NBest).</summary>
    public int ResultCount => _beam.ResultCount;

    public int LiveCount => _beam.LiveCount;

    public ReadOnlySpan<int> LiveTokens(int index) => _beam.LiveTokens(index);

    public void Begin(BeamOptions options, int limit, DecoderBridge bridge)
    {
        _beam.Begin(options, limit);
        bridge.Start(_session, _capacity);
        _step.Start();
    }

    /// <summary>One step; false once the search had already ended.</summary>
    public bool Advance()
    {
        if (_beam.Done)
            return false;
        _step.Forward(_session, _capacity);
        _beam.Select(new StepRows(_step));

        // Every stream continues from its parent's state (and, with input feeding, its parent's h̃); streams past the
        // live ones copy stream 0, so that every stream stays finite.
        Span<int> parents = stackalloc int[_capacity];
        parents.Clear();
        _beam.Parents.CopyTo(parents);
        Span<int> previous = _step.Previous;
        for (int j = 0; j < _beam.LiveCount; j++)
            previous[j] = _beam.LastToken(j);
        _session.ReorderStreams(parents);
        _step.ReorderAttentional(parents);
        return true;
    }

    public ReadOnlySpan<int> Result(int rank, out float score, out float normalizedScore) => _beam.Result(rank, out score, out normalizedScore);

    private readonly ref struct StepRows(DecoderStep step) : IHypothesisRows
    {
        public ReadOnlySpan<float> LogProbabilities(int hypothesis) => step.LogProbabilities(hypothesis);
    }
}
