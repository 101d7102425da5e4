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
    private readonly int _vocabulary;
    private RnnSession? _rnn;
    private SplitMix64 _random;
    private bool _fed;

    internal LanguageModelSession(LanguageModel model, int threads)
    {
        _model = model;
        _vocabulary = model.Vocabulary.Count;
        _rnn = model.Rnn.CreateSession(1, 1, threads);
        _input = _arena.Reserve(model.Config.InputSize);
        _hidden = _arena.Reserve(model.Config.OutputHiddenSize);
        _logProbs = _arena.Reserve(_vocabulary);
        _scratch = _arena.Reserve(_vocabulary);
        _arena.Build();
    }

    /// <summary>log p(next token) over the vocabulary after the last <see cref="Feed"/>.</summary>
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
    /// state and feeding token 0 first: bits per character for a character model.
    /// </summary>
    public double BitsPerToken(ReadOnlySpan<int> tokens)
    {
        ThrowIfDisposed();
        if (tokens.Length < 2)
            throw new ArgumentException("need at least two tokens: the first is only context", nameof(tokens));
        Reset();
        double nats = 0;
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            Feed(tokens[t]);
            int next = tokens[t + 1];
            if ((uint)next >= (uint)_vocabulary)
                throw new ArgumentOutOfRangeException(nameof(tokens), next, $"token {t + 1} is outside the vocabulary");
            nats -= _arena[_logProbs][next];
        }
        return nats / (tokens.Length - 1) / Math.Log(2);
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
