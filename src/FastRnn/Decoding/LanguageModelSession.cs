using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Decoding;

/// <summary>
/// One stream through a <see cref="LanguageModel"/>: feed tokens, read the distribution of the next one, sample,
/// or measure bits per token. Allocation-free after creation. Not thread-safe.
/// </summary>
public sealed class LanguageModelSession : IDisposable
{
    private readonly LanguageModel _model;
    private readonly RnnSession _rnn;
    private readonly float[] _input;     // (E)
    private readonly float[] _hidden;    // (H_out)
    private readonly float[] _logProbs;  // (V)
    private readonly float[] _scratch;   // (V)
    private SplitMix64 _random;
    private bool _fed;

    internal LanguageModelSession(LanguageModel model)
    {
        _model = model;
        _rnn = model.Rnn.CreateSession(1, 1);
        _input = new float[model.Config.InputSize];
        _hidden = new float[model.Config.OutputHiddenSize];
        _logProbs = new float[model.Vocabulary.Count];
        _scratch = new float[model.Vocabulary.Count];
    }

    /// <summary>log p(next token) over the vocabulary after the last <see cref="Feed"/>.</summary>
    public ReadOnlySpan<float> NextLogProbabilities
        => _fed ? _logProbs : throw new InvalidOperationException("feed a token first: the model predicts what follows it");

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        _rnn.Reset();
        _fed = false;
    }

    /// <summary>Reads one token and computes the distribution of the next.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public void Feed(int token)
    {
        if ((uint)token >= (uint)_logProbs.Length)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary 0..{_logProbs.Length - 1}");
        _model.Embedding[token].CopyTo(_input);
        _rnn.Step(_input, _hidden);
        _model.Output.Forward(_hidden, _logProbs);
        Softmax.LogInPlace(_logProbs, _scratch);
        _fed = true;
    }

    /// <summary>Seeds the generator <see cref="Sample"/> draws from; the same seed gives the same tokens.</summary>
    public void Seed(ulong seed) => _random = new SplitMix64(seed);

    /// <summary>Draws the next token from <see cref="NextLogProbabilities"/> with the options' temperature, top-k and top-p.</summary>
    public int Sample(DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Sampler.Validate(options);
        return Sampler.Sample(NextLogProbabilities, _scratch, options, ref _random);
    }

    /// <summary>
    /// Average −log₂ p(token_t | tokens before it) over t = 1..n−1 of <paramref name="tokens"/>, starting from the zero
    /// state and feeding token 0 first: bits per character for a character model.
    /// </summary>
    public double BitsPerToken(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length < 2)
            throw new ArgumentException("need at least two tokens: the first is only context", nameof(tokens));
        Reset();
        double nats = 0;
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            Feed(tokens[t]);
            int next = tokens[t + 1];
            if ((uint)next >= (uint)_logProbs.Length)
                throw new ArgumentOutOfRangeException(nameof(tokens), next, $"token {t + 1} is outside the vocabulary");
            nats -= _logProbs[next];
        }
        return nats / (tokens.Length - 1) / Math.Log(2);
    }

    /// <inheritdoc/>
    public void Dispose() => _rnn.Dispose();
}
