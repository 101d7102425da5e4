using System.Numerics.Tensors;
using FastRnn.Decoding;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Streaming;

/// <summary>
/// Many generation requests over one <see cref="LanguageModel"/>, stepping together: each <see cref="Step"/> feeds every
/// unfinished request one token — the next of its prompt, or the one it generated last — in one batched step of the
/// recurrent stack and one batched product of the output layer, then samples (or takes the argmax of) each request's
/// next token with the request's own seeded generator. Requests join and leave at any step; a finished request stops
/// stepping at once and keeps its tokens until closed. Allocates nothing after creation. Not thread-safe.
/// </summary>
/// <remarks>
/// A request's tokens are those of a <see cref="LanguageModelSession"/> seeded with <see cref="DecodingOptions.Seed"/>,
/// fed the prompt and then its own tokens, sampling with the same options — except that the batched products differ
/// from the one-stream products in the last bits (they sum in another order, see <see cref="StreamPool"/>), so two
/// candidates whose probabilities or cumulative sums agree to float rounding could be told apart differently.
/// </remarks>
public sealed class LanguageModelPool : IDisposable
{
    private readonly LanguageModel _model;
    private readonly StreamPool _pool;
    private readonly GenerationSlot[] _slots; // by stream id
    private readonly float[] _logProbs;      // (S, V)
    private readonly float[] _scratch;       // (V)
    private readonly int[] _tokens;          // (S) by row: the token each stepped row is fed
    private readonly int _vocabulary;

    /// <summary>Creates a pool of <paramref name="capacity"/> requests of up to <paramref name="maxTokens"/> generated tokens each; every buffer is allocated now.</summary>
    /// <param name="model">The language model the requests generate with.</param>
    /// <param name="capacity">The most requests open at once (and so the largest batch a step advances).</param>
    /// <param name="maxTokens">The most tokens one request may generate.</param>
    /// <param name="threads">Intra-op threads for each step's recurrent products and output layer, counting the caller, as
    /// for <see cref="StreamPool"/>; the tokens are the same as on one thread (the products are split by output rows, each
    /// summed as one thread sums it). The sampling runs on the caller.</param>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public LanguageModelPool(LanguageModel model, int capacity, int maxTokens = 256, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        _model = model;
        _pool = new StreamPool(model.Rnn, capacity, threads);
        _vocabulary = model.Vocabulary.Count;
        MaxTokens = maxTokens;
        _slots = new GenerationSlot[capacity];
        for (int i = 0; i < capacity; i++)
            _slots[i] = new GenerationSlot(maxTokens);
        _logProbs = new float[(long)capacity * _vocabulary <= Array.MaxLength ? capacity * _vocabulary
            : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"capacity × vocabulary ({_vocabulary}) floats exceed one array")];
        _scratch = new float[_vocabulary];
        _tokens = new int[capacity];
    }

    /// <summary>The most requests open at once.</summary>
    public int Capacity => _pool.Capacity;

    /// <summary>The most tokens one request may generate (its <c>DecodingOptions.MaxLength</c>).</summary>
    public int MaxTokens { get; }

    /// <summary>Requests open now, finished or not.</summary>
    public int OpenCount => _pool.OpenCount;

    /// <summary>
    /// Opens a request that continues <paramref name="prompt"/> (at least one token; read one token per step, so leave it
    /// unchanged until then) for <c>options.MaxLength</c> tokens, sampling as <paramref name="options"/> says
    /// (<see cref="DecodingOptions.Sample"/> false: the most likely token each step).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty or has an id outside the vocabulary, or an option is out of range.</exception>
    /// <exception cref="InvalidOperationException">Every slot is taken.</exception>
    public StreamHandle Start(ReadOnlyMemory<int> prompt, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (prompt.IsEmpty)
            throw new ArgumentException("the prompt needs at least one token: the model predicts what follows it", nameof(prompt));
        ReadOnlySpan<int> tokens = prompt.Span;
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)_vocabulary)
                throw new ArgumentOutOfRangeException(nameof(prompt), tokens[i], $"prompt token {i} is outside the vocabulary 0..{_vocabulary - 1}");
        }
        if (options.MaxLength < 1 || options.MaxLength > MaxTokens)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, $"MaxLength must be 1..{MaxTokens}, the pool's maxTokens");
        if (options.Sample)
            Sampler.Validate(options);
        StreamHandle stream = _pool.Open();
        _slots[stream.Id].Begin(prompt, options);
        return stream;
    }

    /// <summary>Whether the request has generated all its tokens.</summary>
    public bool IsFinished(StreamHandle request) => Slot(request).Finished;

    /// <summary>The tokens the request has generated so far, in order: a live view, valid until it is closed.</summary>
    public ReadOnlySpan<int> Tokens(StreamHandle request)
    {
        GenerationSlot slot = Slot(request);
        return slot.Tokens.AsSpan(0, slot.Count);
    }

    /// <summary>Closes a request, finished or not; its slot is free for the next <see cref="Start"/>.</summary>
    public void Close(StreamHandle request) => _pool.Close(request);

    /// <summary>
    /// Advances every unfinished request by one token and returns how many generated one (requests still reading their
    /// prompt only feed it). Allocates nothing.
    /// </summary>
    public int Step()
    {
        _pool.ThrowIfDisposed();
        int open = _pool.OpenCount;
        for (int row = 0; row < open; row++)
        {
            int id = _pool.StreamAt(row);
            if (!_slots[id].Finished)
                _pool.MarkPending(id);
        }
        int n = _pool.GatherPending();
        if (n == 0)
            return 0;
        // The gathered rows' inputs, in row order: token ids when the embedding's projection is folded into tables,
        // else the embedded vectors.
        EmbeddingProjection? projection = _model.Projection;
        Span<float> inputs = _pool.InputRows(n);
        int e = _model.Embedding.Size;
        for (int row = 0; row < n; row++)
        {
            int token = _slots[_pool.StreamAt(row)].NextInput;
            if (projection is null)
                _model.Embedding[token].CopyTo(inputs.Slice(row * e, e));
            else
                _tokens[row] = token;
        }
        _pool.StepGathered(n, _tokens, projection);

        // Rows 0..n − 1 of the top layer are the stepped requests' outputs, contiguous: one product for all of them.
        int v = _vocabulary;
        _model.Output.Forward(_pool.Team, _pool.OutputRows(n), _pool.OutputLength, _logProbs, v, n);
        int generated = 0;
        for (int row = 0; row < n; row++)
        {
            GenerationSlot slot = _slots[_pool.StreamAt(row)];
            if (slot.Fed < slot.Prompt.Length && ++slot.Fed < slot.Prompt.Length)
                continue; // a prompt token that is not the last: nothing to predict yet
            Span<float> logProbs = _logProbs.AsSpan(row * v, v);
            Softmax.LogInPlace(logProbs, _scratch);
            int token = slot.Options.Sample
                ? Sampler.Sample(logProbs, _scratch, slot.Options, ref slot.Random)
                : TensorPrimitives.IndexOfMax(logProbs);
            slot.Tokens[slot.Count++] = token;
            generated++;
        }
        return generated;
    }

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    private GenerationSlot Slot(StreamHandle request)
    {
        if (!_pool.IsOpen(request))
            throw StreamErrors.NotOpen(request);
        return _slots[request.Id];
    }
}
