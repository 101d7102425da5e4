using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// One decoding step for up to k streams (docs/seq2seq.md, "One decoding step"): from each stream's previous token,
/// its state in a decoder session and the <see cref="AttentionMemory"/>, the log-probabilities of the next token and
/// the attention weights. Greedy, beam and batch decoding all drive this; each keeps its own search state.
/// </summary>
internal sealed class DecoderStep
{
    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena;
    private readonly ArenaSlice _input;           // (k, decoder input)
    private readonly ArenaSlice _output;          // (k, H)
    private readonly ArenaSlice _context;         // (k, K)
    private readonly ArenaSlice _attention;       // (k, S_max)
    private readonly ArenaSlice _attentional;     // (k, H): Luong's h̃, fed to the next step
    private readonly ArenaSlice _attentionalCopy; // (k, H): h̃ before a beam reorder
    private readonly ArenaSlice _combineInput;    // (k, K + H)
    private readonly ArenaSlice _features;        // (k, output features)
    private readonly ArenaSlice _logProbs;        // (k, V)
    private readonly ArenaSlice _probabilities;   // (V): softmax and sampling scratch
    private readonly ArenaSlice _previous;        // (k) ints: the token each stream feeds next
    private readonly ArenaSlice _projected;       // (k, A): the additive kinds' projected queries

    /// <summary>A step for up to <paramref name="streams"/> streams attending to up to <paramref name="sources"/> sources (0: one per stream).</summary>
    public DecoderStep(Seq2SeqModel model, int streams, DecoderArena arena, int sources = 0)
    {
        _model = model;
        _c = model.Config;
        _arena = arena;
        Memory = new AttentionMemory(model.Attention, _c.MaxSourceLength, streams, arena, sources);
        long k = streams, h = _c.DecoderHiddenSize;
        _input = arena.Reserve(checked(k * _c.DecoderInputSize));
        _output = arena.Reserve(checked(k * h));
        _context = arena.Reserve(checked(k * _c.MemorySize));
        _attention = arena.Reserve(checked(k * _c.MaxSourceLength));
        _attentional = arena.Reserve(checked(k * h));
        _attentionalCopy = arena.Reserve(checked(k * h));
        _combineInput = arena.Reserve(checked(k * (_c.MemorySize + h)));
        _features = arena.Reserve(checked(k * _c.OutputFeatures));
        _logProbs = arena.Reserve(checked(k * _c.TargetVocabularySize));
        _probabilities = arena.Reserve(_c.TargetVocabularySize);
        _previous = arena.Reserve(k);
        _projected = arena.Reserve(checked(k * model.Attention.KeyWidth));
    }

    /// <summary>The encoder outputs the streams attend to.</summary>
    public AttentionMemory Memory { get; }

    /// <summary>The token each stream feeds at the next step.</summary>
    public Span<int> Previous => _arena.Ints(_previous);

    /// <summary>(V) scratch for softmax and sampling.</summary>
    public Span<float> Probabilities => _arena[_probabilities];

    /// <summary>log p (V) of stream <paramref name="stream"/> after the last <see cref="Forward"/>.</summary>
    public Span<float> LogProbabilities(int stream)
        => _arena[_logProbs].Slice(stream * _c.TargetVocabularySize, _c.TargetVocabularySize);

    /// <summary>Attention weights (the first <paramref name="sourceLength"/> of S_max) of stream <paramref name="stream"/> after the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> Attention(int stream, int sourceLength)
        => _arena[_attention].Slice(stream * _c.MaxSourceLength, sourceLength);

    /// <summary>Every stream starts from BOS, and Luong's h̃ from zero.</summary>
    public void Start()
    {
        _arena[_attentional].Clear();
        Previous.Fill(_c.BosId);
    }

    /// <summary>One step for every stream of <paramref name="session"/>: reads <see cref="Previous"/>, writes the log-probabilities and attention.</summary>
    public void Forward(RnnSession session, int streams)
    {
        int h = _c.DecoderHiddenSize;
        Span<float> input = _arena[_input][..(streams * _c.DecoderInputSize)], output = _arena[_output][..(streams * h)];
        AssembleInputs(streams, session.TopHiddenRows(streams), input);
        session.Step(input, output);
        Head(streams, output);
    }

    /// <summary>
    /// The first half of a step: the decoder input (streams, decoder input) of every stream, from its previous token and
    /// h̃ (input feeding) or its attention context with <paramref name="queries"/> (streams, H), the states before this
    /// step, as the query (Bahdanau). The recurrent step in between is the caller's: a session's, or a pool's.
    /// </summary>
    public void AssembleInputs(int streams, ReadOnlySpan<float> queries, Span<float> input)
    {
        int e = _c.TargetEmbeddingSize, k = _c.MemorySize, h = _c.DecoderHiddenSize, inWidth = _c.DecoderInputSize;
        Span<float> contexts = _arena[_context], weights = _arena[_attention], attentional = _arena[_attentional];
        Span<int> previous = Previous;
        if (!_c.InputFeeding)
            Memory.AttendAll(streams, queries, _arena[_projected], weights, contexts); // Bahdanau: the query is the state before this step
        for (int j = 0; j < streams; j++)
        {
            Span<float> x = input.Slice(j * inWidth, inWidth);
            _model.TargetEmbedding[previous[j]].CopyTo(x[..e]);
            if (_c.InputFeeding)
                attentional.Slice(j * h, h).CopyTo(x[e..]);
            else
                contexts.Slice(j * k, k).CopyTo(x[e..]);
        }
    }

    /// <summary>
    /// The second half of a step: from the recurrent outputs <paramref name="output"/> (streams, H), the attention (input
    /// feeding), h̃, and the log-probabilities of every stream, as batched products.
    /// </summary>
    public void Head(int streams, ReadOnlySpan<float> output)
    {
        int k = _c.MemorySize, h = _c.DecoderHiddenSize, v = _c.TargetVocabularySize;
        Span<float> contexts = _arena[_context], weights = _arena[_attention], attentional = _arena[_attentional];
        Span<float> logProbs = _arena[_logProbs];
        if (_c.InputFeeding)
        {
            Span<float> combineInput = _arena[_combineInput];
            Memory.AttendAll(streams, output, _arena[_projected], weights, contexts);
            for (int j = 0; j < streams; j++)
            {
                contexts.Slice(j * k, k).CopyTo(combineInput.Slice(j * (k + h), k));
                output.Slice(j * h, h).CopyTo(combineInput.Slice(j * (k + h) + k, h));
            }
            Span<float> tilde = attentional[..(streams * h)];
            _model.Combine!.Forward(combineInput, k + h, tilde, h, streams);
            CellKernels.Tanh(tilde, tilde);
            _model.Output.Forward(tilde, h, logProbs, v, streams);
        }
        else
        {
            int width = _c.OutputFeatures;
            Span<float> features = _arena[_features];
            Span<int> previous = Previous;
            for (int j = 0; j < streams; j++)
            {
                Span<float> f = features.Slice(j * width, width);
                output.Slice(j * h, h).CopyTo(f);
                if (_c.OutputInputs != OutputInputs.Hidden)
                    contexts.Slice(j * k, k).CopyTo(f[h..]);
                if (_c.OutputInputs == OutputInputs.HiddenContextEmbedding)
                    _model.TargetEmbedding[previous[j]].CopyTo(f[(h + k)..]); // the embedding this step was fed
            }
            _model.Output.Forward(features, width, logProbs, v, streams);
        }

        Span<float> scratch = Probabilities;
        for (int j = 0; j < streams; j++)
            Softmax.LogInPlace(logProbs.Slice(j * v, v), scratch);
    }

    /// <summary>h̃ of stream <paramref name="stream"/> (input feeding: what it feeds at the next step).</summary>
    public Span<float> Attentional(int stream) => _arena[_attentional].Slice(stream * _c.DecoderHiddenSize, _c.DecoderHiddenSize);

    /// <summary>With input feeding, stream j continues from h̃ of stream <paramref name="parents"/>[j] (after a beam step).</summary>
    public void ReorderAttentional(ReadOnlySpan<int> parents)
    {
        int h = _c.DecoderHiddenSize;
        Span<float> attentional = _arena[_attentional], copy = _arena[_attentionalCopy];
        attentional.CopyTo(copy);
        for (int j = 0; j < parents.Length; j++)
            copy.Slice(parents[j] * h, h).CopyTo(attentional.Slice(j * h, h));
    }
}
