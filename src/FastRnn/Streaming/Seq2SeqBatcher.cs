using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>
/// The thread-safe front of <see cref="Seq2SeqPool"/>s for servers: any number of threads submit translation requests
/// (greedy, sampling or beam search), and one or more worker threads decode them together, each request joining its
/// worker's batch at the next step and leaving it the moment it finishes (continuous batching). Each call waits for its
/// answer — blocking with <see cref="Translate"/>, or awaiting the pooled <see cref="ValueTask{TResult}"/> of
/// <see cref="TranslateAsync"/> — and neither allocates.
/// </summary>
/// <remarks>
/// <para>A request gets the tokens and score the pool gives it (see <see cref="Seq2SeqPool"/>: those of decoding its
/// source alone, scores up to float rounding). Requests start in the order submitted to their worker; a request waits in
/// the queue while its worker has no rows or slot for it.</para>
/// <para>At most <see cref="Seq2SeqBatcherOptions.MaxPending"/> requests are in the batcher at once, from submission to
/// the caller taking the answer; beyond it <see cref="Translate"/> waits and <see cref="TranslateAsync"/> throws.
/// <see cref="Dispose"/> decodes every request already submitted to its end, so no caller is left waiting, then stops
/// the workers.</para>
/// </remarks>
public sealed class Seq2SeqBatcher : IDisposable
{
    private readonly Seq2SeqConfig _c;
    private readonly TranslationWorker[] _workers;
    private readonly object _ticketsGate = new();
    private readonly TranslationTicket[] _free; // guarded by _ticketsGate
    private int _freeCount;
    private int _disposed;

    /// <summary>Starts the workers; every buffer is allocated now.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or the buffers do not fit in memory (see <see cref="Seq2SeqPool"/>).</exception>
    public Seq2SeqBatcher(Seq2SeqModel model, Seq2SeqBatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new Seq2SeqBatcherOptions();
        options.Validate();
        _c = model.Config;
        MaxBeam = options.MaxBeam;
        MaxOutputLength = options.MaxOutputLength;
        Capacity = options.RowsPerWorker * options.Workers;
        _free = new TranslationTicket[options.Pending];
        for (int i = 0; i < _free.Length; i++)
            _free[i] = new TranslationTicket(this, _c.MaxSourceLength, options.MaxBeam, options.MaxOutputLength);
        _freeCount = _free.Length;
        _workers = new TranslationWorker[options.Workers];
        try
        {
            for (int i = 0; i < _workers.Length; i++)
                _workers[i] = new TranslationWorker(model, options, i);
        }
        catch
        {
            foreach (TranslationWorker? worker in _workers)
                worker?.Dispose();
            throw;
        }
    }

    /// <summary>Decoder rows over all workers.</summary>
    public int Capacity { get; }

    /// <summary>The largest beam a request may search with.</summary>
    public int MaxBeam { get; }

    /// <summary>The most tokens one output can have.</summary>
    public int MaxOutputLength { get; }

    /// <summary>
    /// Decodes <paramref name="source"/> greedily (or by sampling), with the other requests of its worker, and blocks
    /// until it has finished; writes its tokens to <paramref name="output"/> (EOS last if one was produced). Allocates nothing.
    /// </summary>
    /// <param name="source">Ids in the source vocabulary, framed as the model expects (see <see cref="Seq2SeqModel.EncodeText(string)"/>); copied now.</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="output">Room for the request's length limit: min(MaxLength, <see cref="MaxOutputLength"/>, the ratio limit if set).</param>
    /// <param name="cancellationToken">Cancels the request: a queued one is answered at once, a decoding one before its
    /// worker's next step, its rows freed for others. While the batcher is full, it also ends the wait for a place.</param>
    /// <exception cref="ArgumentException">The source is empty, too long or has an id outside the vocabulary, an option is out of range, or the output is shorter than the limit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the answer.</exception>
    /// <exception cref="InvalidOperationException">Decoding failed (the inner exception says why).</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public TranslationResult Translate(ReadOnlySpan<int> source, DecodingOptions options, Span<int> output, CancellationToken cancellationToken = default)
    {
        CheckGreedy(source, options, output.Length, cancellationToken);
        return Submit(source, options, null, false, default, default, blocking: true, cancellationToken, out _).Wait(output, default);
    }

    /// <summary>As <see cref="Translate"/>, for a beam search: writes the best hypothesis. It holds <c>BeamSize</c> rows while it decodes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The beam size is 0 or above <see cref="MaxBeam"/>, or NBest is not 1..BeamSize.</exception>
    public TranslationResult TranslateBeam(ReadOnlySpan<int> source, BeamOptions options, Span<int> output, CancellationToken cancellationToken = default)
    {
        CheckBeam(source, options, output.Length, BestOnly, cancellationToken);
        return Submit(source, null, options, false, default, default, blocking: true, cancellationToken, out _).Wait(output, default);
    }

    /// <summary>
    /// As <see cref="TranslateBeam(ReadOnlySpan{int}, BeamOptions, Span{int}, CancellationToken)"/>, returning the n
    /// best: every finished hypothesis, at most <c>NBest</c>, best first, their tokens one after another in
    /// <paramref name="output"/> and where each starts, its length and scores in <paramref name="hypotheses"/>, as
    /// <see cref="Seq2SeqDecoder.GetBeamResult"/> gives them. The result counts them and describes the best.
    /// </summary>
    /// <param name="source">As for <see cref="Translate"/>.</param>
    /// <param name="options">The beam's options; <c>NBest</c> bounds the hypotheses returned.</param>
    /// <param name="output">Room for NBest outputs at the request's length limit.</param>
    /// <param name="hypotheses">Room for NBest hypotheses.</param>
    /// <param name="cancellationToken">As for <see cref="Translate"/>.</param>
    /// <exception cref="ArgumentException">As for <see cref="Translate"/>, or a buffer is shorter than NBest needs.</exception>
    public TranslationResult TranslateBeam(ReadOnlySpan<int> source, BeamOptions options, Span<int> output, Span<TranslationHypothesis> hypotheses, CancellationToken cancellationToken = default)
    {
        CheckBeam(source, options, output.Length, hypotheses.Length, cancellationToken);
        return Submit(source, null, options, true, default, default, blocking: true, cancellationToken, out _).Wait(output, hypotheses);
    }

    /// <summary>
    /// Submits <paramref name="source"/> (copied now) for greedy decoding or sampling; the task completes once its tokens
    /// are in <paramref name="output"/>, which must stay untouched until then. The task is backed by a pooled source:
    /// await it exactly once. Allocates nothing (registering a cancellable token is the token's own cost).
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Translate"/>.</exception>
    /// <exception cref="InvalidOperationException"><see cref="Seq2SeqBatcherOptions.MaxPending"/> requests are already in the batcher.</exception>
    /// <exception cref="OperationCanceledException">The token was already cancelled; the task ends with it if it is cancelled before the answer.</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public ValueTask<TranslationResult> TranslateAsync(ReadOnlySpan<int> source, DecodingOptions options, Memory<int> output, CancellationToken cancellationToken = default)
    {
        CheckGreedy(source, options, output.Length, cancellationToken);
        TranslationTicket ticket = Submit(source, options, null, false, output, default, blocking: false, cancellationToken, out short token);
        return new ValueTask<TranslationResult>(ticket, token);
    }

    /// <summary>As <see cref="TranslateAsync"/>, for a beam search: the best hypothesis.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As for <see cref="TranslateBeam(ReadOnlySpan{int}, BeamOptions, Span{int}, CancellationToken)"/>.</exception>
    public ValueTask<TranslationResult> TranslateBeamAsync(ReadOnlySpan<int> source, BeamOptions options, Memory<int> output, CancellationToken cancellationToken = default)
    {
        CheckBeam(source, options, output.Length, BestOnly, cancellationToken);
        TranslationTicket ticket = Submit(source, null, options, false, output, default, blocking: false, cancellationToken, out short token);
        return new ValueTask<TranslationResult>(ticket, token);
    }

    /// <summary>As <see cref="TranslateAsync"/>, for an n-best beam search, as <see cref="TranslateBeam(ReadOnlySpan{int}, BeamOptions, Span{int}, Span{TranslationHypothesis}, CancellationToken)"/>; both buffers must stay untouched until the task completes.</summary>
    public ValueTask<TranslationResult> TranslateBeamAsync(ReadOnlySpan<int> source, BeamOptions options, Memory<int> output, Memory<TranslationHypothesis> hypotheses, CancellationToken cancellationToken = default)
    {
        CheckBeam(source, options, output.Length, hypotheses.Length, cancellationToken);
        TranslationTicket ticket = Submit(source, null, options, true, output, hypotheses, blocking: false, cancellationToken, out short token);
        return new ValueTask<TranslationResult>(ticket, token);
    }

    /// <summary>
    /// Stops taking requests, decodes every request already submitted to its end, and stops the workers. Later calls
    /// throw <see cref="ObjectDisposedException"/>. Calling it twice is harmless.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        lock (_ticketsGate)
            Monitor.PulseAll(_ticketsGate); // callers waiting for a place see the batcher disposed
        foreach (TranslationWorker worker in _workers)
            worker.Dispose();
    }

    /// <summary>Bytes the worker threads have allocated, as of their last steps (for tests: it must not grow).</summary>
    internal long WorkerAllocatedBytes => _workers.Sum(w => w.AllocatedBytes);

    /// <summary>Requests queued or decoding over all workers (for tests).</summary>
    internal int Load => _workers.Sum(w => w.Load);

    /// <summary>Takes back a ticket whose caller has its answer.</summary>
    internal void Return(TranslationTicket ticket)
    {
        lock (_ticketsGate)
        {
            _free[_freeCount++] = ticket;
            Monitor.Pulse(_ticketsGate);
        }
    }

    private TranslationTicket Submit(ReadOnlySpan<int> source, DecodingOptions? greedy, BeamOptions? beam, bool allHypotheses,
        Memory<int> output, Memory<TranslationHypothesis> hypotheses, bool blocking, CancellationToken cancellation, out short token)
    {
        TranslationTicket ticket = Take(blocking, cancellation);
        try
        {
            token = ticket.Begin(source, greedy, beam, allHypotheses, output, hypotheses, blocking, cancellation);
            TranslationWorker worker = LeastLoaded();
            ticket.Watch(worker);
            worker.Submit(ticket);
            return ticket;
        }
        catch
        {
            Return(ticket);
            throw;
        }
    }

    private TranslationTicket Take(bool blocking, CancellationToken cancellation)
    {
        // Monitor.Wait cannot watch a token: a cancellable caller waiting for a place looks at it every millisecond.
        int wait = cancellation.CanBeCanceled ? 1 : Timeout.Infinite;
        lock (_ticketsGate)
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
                if (_freeCount > 0)
                {
                    TranslationTicket ticket = _free[--_freeCount];
                    _free[_freeCount] = null!;
                    return ticket;
                }
                if (!blocking)
                    throw new InvalidOperationException($"all {_free.Length} places of the batcher hold requests not yet answered (MaxPending); await answers before submitting more, or create the batcher with a larger MaxPending");
                Monitor.Wait(_ticketsGate, wait);
                cancellation.ThrowIfCancellationRequested();
            }
        }
    }

    private TranslationWorker LeastLoaded()
    {
        TranslationWorker best = _workers[0];
        for (int i = 1; i < _workers.Length; i++)
        {
            if (_workers[i].Load < best.Load)
                best = _workers[i];
        }
        return best;
    }

    private void CheckGreedy(ReadOnlySpan<int> source, DecodingOptions options, int outputLength, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        cancellation.ThrowIfCancellationRequested();
        RequestChecks.Greedy(options);
        SourceEncoder.Check(_c, source);
        CheckOutput(outputLength, options.Limit(MaxOutputLength, source.Length));
    }

    private const int BestOnly = -1;

    // hypotheses: the room for n-best hypotheses, or BestOnly for a search answering with its best.
    private void CheckBeam(ReadOnlySpan<int> source, BeamOptions options, int outputLength, int hypotheses, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        cancellation.ThrowIfCancellationRequested();
        RequestChecks.Beam(options, MaxBeam, "the batcher's MaxBeam");
        SourceEncoder.Check(_c, source);
        if (hypotheses == BestOnly)
        {
            CheckOutput(outputLength, options.Limit(MaxOutputLength, source.Length));
            return;
        }
        if (hypotheses < options.NBest)
            throw new ArgumentException($"hypotheses has room for {hypotheses}; the search may finish NBest = {options.NBest}", nameof(hypotheses));
        CheckOutput(outputLength, options.Limit(MaxOutputLength, source.Length), options.NBest);
    }

    private static void CheckOutput(int length, int limit, int outputs = 1)
    {
        long needed = (long)limit * outputs;
        if (length < needed)
            throw new ArgumentException(outputs == 1
                ? $"output has room for {length} tokens; the request may produce {limit} (its length limit: MaxLength, the batcher's MaxOutputLength and the ratio limit)"
                : $"output has room for {length} tokens; {outputs} hypotheses (NBest) may produce {limit} each (the length limit: MaxLength, the batcher's MaxOutputLength and the ratio limit), {needed} in all", "output");
    }
}
