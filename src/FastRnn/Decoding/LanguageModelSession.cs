using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// One stream through a <see cref="LanguageModel"/>: feed tokens, read the distribution of the next one, sample,
/// or measure bits per token. Allocation-free after creation. Not thread-safe.
/// </summary>
public sealed class LanguageModelSession : IDisposable
{
    private readonly LanguageModel _model;
    private readonly DecoderArena _arena = new();
    private readonly ArenaSlice _input;     // (E)
    private readonly ArenaSlice _hidden;    // (H_out)
    private readonly ArenaSlice _logProbs;  // (V)
    private readonly ArenaSlice _scratch;   // (V)
    private readonly ArenaSlice _pieceInputs; // (PieceLength, E): a piece's embedded tokens, unless the model has tables
    private readonly ArenaSlice _pieceHidden; // (PieceLength, H_out): a piece's top-layer outputs
    private readonly ArenaSlice _pieceLogits; // (_logitRows, V): log-probabilities of a block of a piece's positions
    private readonly int _vocabulary;
    private readonly int _logitRows;
    private RnnSession? _rnn;
    private SplitMix64 _random;
    private bool _fed;

    internal LanguageModelSession(LanguageModel model, int threads)
    {
        _model = model;
        _vocabulary = model.Vocabulary.Count;
        _rnn = model.Rnn.CreateSession(1, PieceLength, threads);
        _input = _arena.Reserve(model.Config.InputSize);
        _hidden = _arena.Reserve(model.Config.OutputHiddenSize);
        _logProbs = _arena.Reserve(_vocabulary);
        _scratch = _arena.Reserve(_vocabulary);
        _pieceInputs = _arena.Reserve(model.Projection is null ? (long)PieceLength * model.Config.InputSize : 0);
        _pieceHidden = _arena.Reserve((long)PieceLength * model.Config.OutputHiddenSize);
        _logitRows = Math.Clamp(MaxLogitFloats / _vocabulary, 1, PieceLength);
        _pieceLogits = _arena.Reserve((long)_logitRows * _vocabulary);
        _arena.Build();
    }

    /// <summary>
    /// Tokens that <see cref="Feed(ReadOnlySpan{int})"/> and <see cref="BitsPerToken"/> run as one sequence: each
    /// layer's input projection is one product over the piece (as <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float})"/>
    /// does) instead of one per token.
    /// </summary>
    public const int PieceLength = 64;

    // BitsPerToken's log-probabilities for several positions at once take at most this many floats (1 MiB), so a
    // large vocabulary costs fewer rows per block rather than a large buffer.
    private const int MaxLogitFloats = 1 << 18;

    /// <summary>log p(next token) over the vocabulary after the last <see cref="Feed(int)"/> or <see cref="Feed(ReadOnlySpan{int})"/>.</summary>
    /// <exception cref="InvalidOperationException">No token was fed since the session was created or reset.</exception>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public ReadOnlySpan<float> NextLogProbabilities
    {
        get
        {
            ThrowIfDisposed();
            return _fed ? _arena[_logProbs] : throw new InvalidOperationException("feed a token first: the model predicts what follows it");
        }
    }

    /// <summary>Intra-op threads of each step, counting the caller.</summary>
    public int Threads => Rnn.Threads;

    /// <summary>The session's worker threads, for tests.</summary>
    internal WorkerTeam Team => Rnn.Team;

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        Rnn.Reset();
        _fed = false;
    }

    /// <summary>Reads one token and computes the distribution of the next.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public void Feed(int token)
    {
        RnnSession rnn = Rnn;
        if ((uint)token >= (uint)_vocabulary)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary 0..{_vocabulary - 1}");
        Span<float> input = _arena[_input], hidden = _arena[_hidden], logProbs = _arena[_logProbs];
        if (_model.Projection is { } projection)
        {
            rnn.StepTokens(new ReadOnlySpan<int>(in token), projection, hidden);
        }
        else
        {
            _model.Embedding[token].CopyTo(input);
            rnn.Step(input, hidden);
        }
        _model.Output.Forward(rnn.Team, hidden, hidden.Length, logProbs, _vocabulary, 1);
        Softmax.LogInPlace(logProbs, _arena[_scratch]);
        _fed = true;
    }

    /// <summary>
    /// Reads a whole prompt and computes the distribution of the token after its last one: the same state and
    /// distribution as feeding the tokens one at a time, within float32 rounding (a piece of up to
    /// <see cref="PieceLength"/> tokens runs as one sequence, its input projections hoisted out of the recurrence,
    /// which sums in another order than a step), in a fraction of the time. An empty span changes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary (checked before any is read).</exception>
    public void Feed(ReadOnlySpan<int> tokens)
    {
        RnnSession rnn = Rnn;
        CheckTokens(tokens, nameof(tokens));
        if (tokens.Length <= 1)
        {
            if (tokens.Length == 1)
                Feed(tokens[0]);
            return;
        }
        int h = _model.Config.OutputHiddenSize;
        Span<float> last = default;
        for (int start = 0; start < tokens.Length; start += PieceLength)
        {
            int n = Math.Min(PieceLength, tokens.Length - start);
            Span<float> hidden = _arena[_pieceHidden][..(n * h)];
            RunPiece(rnn, tokens.Slice(start, n), hidden);
            last = hidden[^h..];
        }
        Span<float> logProbs = _arena[_logProbs];
        _model.Output.Forward(rnn.Team, last, h, logProbs, _vocabulary, 1);
        Softmax.LogInPlace(logProbs, _arena[_scratch]);
        _fed = true;
    }

    // The top layer's outputs for a piece of tokens, (n, H_out), through the embedding tables or the embedded vectors.
    private void RunPiece(RnnSession rnn, ReadOnlySpan<int> piece, Span<float> hidden)
    {
        if (_model.Projection is { } projection)
        {
            rnn.RunTokens(piece, projection, hidden, []); // every piece runs whole, whatever lengths the file names
            return;
        }
        int e = _model.Config.InputSize;
        Span<float> inputs = _arena[_pieceInputs][..(piece.Length * e)];
        for (int i = 0; i < piece.Length; i++)
            _model.Embedding[piece[i]].CopyTo(inputs.Slice(i * e, e));
        rnn.Run(inputs, hidden, []);
    }

    private void CheckTokens(ReadOnlySpan<int> tokens, string name)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)_vocabulary)
                throw new ArgumentOutOfRangeException(name, tokens[i], $"token {i} is outside the vocabulary 0..{_vocabulary - 1}");
        }
    }

    /// <summary>Seeds the generator <see cref="Sample"/> draws from; the same seed gives the same tokens.</summary>
    public void Seed(ulong seed) => _random = new SplitMix64(seed);

    /// <summary>Draws the next token from <see cref="NextLogProbabilities"/> with the options' temperature, top-k and top-p.</summary>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public int Sample(DecodingOptions options)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(options);
        Sampler.Validate(options);
        return Sampler.Sample(NextLogProbabilities, _arena[_scratch], options, ref _random);
    }

    /// <summary>
    /// Average −log₂ p(token_t | tokens before it) over t = 1..n−1 of <paramref name="tokens"/>, starting from the zero
    /// state and feeding token 0 first: bits per character for a character model. The tokens run in pieces as
    /// <see cref="Feed(ReadOnlySpan{int})"/> runs them, and each block of positions' output layer is one product;
    /// afterwards the session is where feeding tokens 0..n−2 leaves it.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary (checked before any is read).</exception>
    public double BitsPerToken(ReadOnlySpan<int> tokens)
    {
        RnnSession rnn = Rnn;
        if (tokens.Length < 2)
            throw new ArgumentException("need at least two tokens: the first is only context", nameof(tokens));
        CheckTokens(tokens, nameof(tokens));
        Reset();
        int h = _model.Config.OutputHiddenSize, v = _vocabulary;
        ReadOnlySpan<int> context = tokens[..^1]; // position t predicts token t + 1
        Span<float> scratch = _arena[_scratch], row = default;
        double nats = 0;
        for (int start = 0; start < context.Length; start += PieceLength)
        {
            int n = Math.Min(PieceLength, context.Length - start);
            Span<float> hidden = _arena[_pieceHidden][..(n * h)];
            RunPiece(rnn, context.Slice(start, n), hidden);
            for (int first = 0; first < n; first += _logitRows)
            {
                int rows = Math.Min(_logitRows, n - first);
                Span<float> logits = _arena[_pieceLogits][..(rows * v)];
                _model.Output.Forward(rnn.Team, hidden[(first * h)..], h, logits, v, rows);
                for (int r = 0; r < rows; r++)
                {
                    row = logits.Slice(r * v, v);
                    Softmax.LogInPlace(row, scratch);
                    nats -= row[tokens[start + first + r + 1]];
                }
            }
        }
        row.CopyTo(_arena[_logProbs]);
        _fed = true;
        return nats / context.Length / Math.Log(2);
    }

    /// <summary>
    /// Disposes the recurrent session and drops this session's buffers (one arena) so their memory can be collected
    /// even while this object is still referenced; every later call throws <see cref="ObjectDisposedException"/>.
    /// Calling it again does nothing.
    /// </summary>
    public void Dispose()
    {
        _rnn?.Dispose();
        _rnn = null;
        _arena.Release();
    }

    private RnnSession Rnn
    {
        get
        {
            ObjectDisposedException.ThrowIf(_rnn is null, this);
            return _rnn;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_rnn is null, this);
}
