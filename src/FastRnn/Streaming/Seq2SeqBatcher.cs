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
            _free[i] = new TranslationTicket(this, _c.MaxSourceLength, options.MaxOutputLength);
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
    /// <exception cref="ArgumentException">The source is empty, too long or has an id outside the vocabulary, an option is out of range, or the output is shorter than the limit.</exception>
    /// <exception cref="InvalidOperationException">Decoding failed (the inner exception says why).</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public TranslationResult Translate(ReadOnlySpan<int> source, DecodingOptions options, Span<int> output)
    {
        CheckGreedy(source, options, output.Length);
        return Submit(source, options, null, default, blocking: true, out _).Wait(output);
    }

    /// <summary>As <see cref="Translate"/>, for a beam search: writes the best hypothesis. It holds <c>BeamSize</c> rows while it decodes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The beam size is 0 or above <see cref="MaxBeam"/>, or NBest is not 1..BeamSize.</exception>
    public TranslationResult TranslateBeam(ReadOnlySpan<int> source, BeamOptions options, Span<int> output)
    {
        CheckBeam(source, options, output.Length);
        return Submit(source, null, options, default, blocking: true, out _).Wait(output);
    }

    /// <summary>
    /// Submits <paramref name="source"/> (copied now) for greedy decoding or sampling; the task completes once its tokens
    /// are in <paramref name="output"/>, which must stay untouched until then. The task is backed by a pooled source:
    /// await it exactly once. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Translate"/>.</exception>
    /// <exception cref="InvalidOperationException"><see cref="Seq2SeqBatcherOptions.MaxPending"/> requests are already in the batcher.</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public ValueTask<TranslationResult> TranslateAsync(ReadOnlySpan<int> source, DecodingOptions options, Memory<int> output)
    {
        CheckGreedy(source, options, output.Length);
        TranslationTicket ticket = Submit(source, options, null, output, blocking: false, out short token);
        return new ValueTask<TranslationResult>(ticket, token);
    }

    /// <summary>As <see cref="TranslateAsync"/>, for a beam search: the best hypothesis.</summary>
    /// <exception cref="ArgumentOutOfRangeException">As for <see cref="TranslateBeam"/>.</exception>
    public ValueTask<TranslationResult> TranslateBeamAsync(ReadOnlySpan<int> source, BeamOptions options, Memory<int> output)
    {
        CheckBeam(source, options, output.Length);
        TranslationTicket ticket = Submit(source, null, options, output, blocking: false, out short token);
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

    /// <summary>Takes back a ticket whose caller has its answer.</summary>
    internal void Return(TranslationTicket ticket)
    {
        lock (_ticketsGate)
        {
            _free[_freeCount++] = ticket;
            Monitor.Pulse(_ticketsGate);
        }
    }

    private TranslationTicket Submit(ReadOnlySpan<int> source, DecodingOptions? greedy, BeamOptions? beam, Memory<int> output, bool blocking, out short token)
    {
        TranslationTicket ticket = Take(blocking);
        try
        {
            token = ticket.Begin(source, greedy, beam, output, blocking);
            LeastLoaded().Submit(ticket);
            return ticket;
        }
        catch
        {
            Return(ticket);
            throw;
        }
    }

    private TranslationTicket Take(bool blocking)
    {
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
                Monitor.Wait(_ticketsGate);
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

    private void CheckGreedy(ReadOnlySpan<int> source, DecodingOptions options, int outputLength)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        RequestChecks.Greedy(options);
        SourceEncoder.Check(_c, source);
        CheckOutput(outputLength, options.Limit(MaxOutputLength, source.Length));
    }

    private void CheckBeam(ReadOnlySpan<int> source, BeamOptions options, int outputLength)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        RequestChecks.Beam(options, MaxBeam, "the batcher's MaxBeam");
        SourceEncoder.Check(_c, source);
        CheckOutput(outputLength, options.Limit(MaxOutputLength, source.Length));
    }

    private static void CheckOutput(int length, int limit)
    {
        if (length < limit)
            throw new ArgumentException($"output has room for {length} tokens; the request may produce {limit} (its length limit: MaxLength, the batcher's MaxOutputLength and the ratio limit)", "output");
    }
}
