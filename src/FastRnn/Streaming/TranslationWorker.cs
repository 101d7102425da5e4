using FastRnn.Decoding;
using System.Diagnostics;

namespace FastRnn.Streaming;

/// <summary>
/// One decoding thread of a <see cref="Seq2SeqBatcher"/> and the <see cref="Seq2SeqPool"/> it owns. Producers queue
/// requests under the worker's lock; the thread starts queued requests in its pool (every one it has room for, in
/// order), steps the pool, and answers each request the step finished. An idle worker waits up to
/// <see cref="Seq2SeqBatcherOptions.MaxWait"/> for more requests before its first step, so requests arriving together
/// are encoded together; a busy one takes the queue at every step. A cancelled request is answered with
/// <see cref="OperationCanceledException"/> at once if it is queued (its token's callback wakes the thread), or before
/// the next step if it is decoding, its rows freed. Only this thread touches the pool.
/// </summary>
internal sealed class TranslationWorker : IDisposable
{
    private readonly object _gate = new();
    private readonly Seq2SeqPool _pool;
    private readonly TranslationTicket[] _queue;   // FIFO ring of requests not yet started, guarded by _gate
    private readonly TranslationTicket[] _running; // requests started in the pool (this thread only)
    private readonly long _maxWaitTicks;           // Stopwatch ticks
    private readonly int _maxBatch;
    private readonly Thread _thread;
    private readonly Func<bool> _due; // Due, as one delegate for the worker's life
    private int _queueStart, _queueCount, _runningCount;
    private int _loadHint;
    private long _allocated;
    private long _firstQueuedAt;
    private bool _stopping;
    private bool _cancelled; // a caller's token was cancelled since the worker last looked (guarded by _gate)

    public TranslationWorker(Seq2SeqModel model, Seq2SeqBatcherOptions options, int index)
    {
        _pool = new Seq2SeqPool(model, options.RowsPerWorker, options.MaxBeam, options.MaxOutputLength, options.IntraOpThreads, options.RequestsPerWorker);
        _queue = new TranslationTicket[options.Pending];
        _running = new TranslationTicket[options.RequestsPerWorker];
        _maxWaitTicks = (long)(options.MaxWait.TotalSeconds * Stopwatch.Frequency);
        _maxBatch = options.MaxBatch == 0 ? options.RequestsPerWorker : options.MaxBatch;
        _due = () => Due || _cancelled;
        _thread = new Thread(Run) { IsBackground = true, Name = $"FastRnn translation worker {index}" };
        _thread.Start();
    }

    /// <summary>Requests queued or decoding (read without the lock: a hint for placing new requests).</summary>
    public int Load => Volatile.Read(ref _loadHint);

    /// <summary>Bytes the worker thread has allocated since it started, as of its last step (for tests: it must not grow).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocated);

    /// <summary>Queues a request for the worker's next step.</summary>
    /// <exception cref="ObjectDisposedException">The worker is stopping.</exception>
    public void Submit(TranslationTicket ticket)
    {
        lock (_gate)
        {
            if (_stopping)
                throw StreamErrors.Disposed(nameof(Seq2SeqBatcher));
            // The batcher holds as many tickets as the ring has places, so the ring cannot overflow.
            _queue[(_queueStart + _queueCount++) % _queue.Length] = ticket;
            Interlocked.Increment(ref _loadHint);
            // Cancelled before it was queued: its callback may have run while the worker could not yet see it.
            _cancelled |= ticket.Cancellation.IsCancellationRequested;
            if (_queueCount == 1)
                _firstQueuedAt = Stopwatch.GetTimestamp();
            if (_queueCount == 1 || Due)
                Monitor.Pulse(_gate);
        }
    }

    /// <summary>A caller's token was cancelled: the worker looks for cancelled requests (called by the token's callback, on any thread).</summary>
    public void Cancelled()
    {
        lock (_gate)
        {
            _cancelled = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Stops taking requests, decodes every request already submitted to its end, and ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
                return;
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        _thread.Join();
        _pool.Dispose();
    }

    private bool Due => _stopping || _queueCount >= _maxBatch;

    private void Run()
    {
        while (true)
        {
            bool cancelled = false;
            lock (_gate)
            {
                while (true)
                {
                    if (_cancelled)
                    {
                        _cancelled = false;
                        cancelled = true;
                        AnswerCancelledQueued();
                    }
                    if (_queueCount == 0 && _runningCount == 0)
                    {
                        if (_stopping)
                            return;
                        Monitor.Wait(_gate);
                        continue;
                    }
                    long deadline = _firstQueuedAt + _maxWaitTicks;
                    if (_runningCount > 0 || Due || Stopwatch.GetTimestamp() >= deadline)
                        break;
                    BatchWait.Until(_gate, deadline, _due); // then look again: a cancellation may have woken it
                }
                StartQueued();
            }
            if (cancelled)
                AnswerCancelledRunning();
            if (_runningCount > 0)
                StepAndAnswer();
            Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    // Called with the lock held: answers the queued requests whose tokens are cancelled, keeping the others in order.
    private void AnswerCancelledQueued()
    {
        int kept = 0;
        for (int i = 0; i < _queueCount; i++)
        {
            int at = (_queueStart + i) % _queue.Length;
            TranslationTicket ticket = _queue[at];
            _queue[at] = null!;
            if (ticket.Cancellation.IsCancellationRequested)
                AnswerCancelled(ticket);
            else
                _queue[(_queueStart + kept++) % _queue.Length] = ticket;
        }
        _queueCount = kept;
    }

    // Frees the rows of the decoding requests whose tokens are cancelled and answers them.
    private void AnswerCancelledRunning()
    {
        for (int i = _runningCount - 1; i >= 0; i--)
        {
            TranslationTicket ticket = _running[i];
            if (!ticket.Cancellation.IsCancellationRequested)
                continue;
            _pool.Close(ticket.Handle);
            _running[i] = _running[--_runningCount];
            _running[_runningCount] = null!;
            AnswerCancelled(ticket);
        }
    }

    private void AnswerCancelled(TranslationTicket ticket)
    {
        ticket.Fail(new OperationCanceledException("the request was cancelled", ticket.Cancellation));
        Answer(ticket, default);
    }

    // Called with the lock held: starts queued requests in order while the pool has rows and slots for them.
    private void StartQueued()
    {
        while (_queueCount > 0)
        {
            TranslationTicket ticket = _queue[_queueStart];
            ReadOnlySpan<int> source = ticket.Source.AsSpan(0, ticket.SourceLength);
            bool started;
            StreamHandle handle;
            try
            {
                started = ticket.Beam is { } beam
                    ? _pool.TryStartBeam(source, beam, out handle)
                    : _pool.TryStart(source, ticket.Greedy!, out handle);
            }
            catch (Exception e)
            {
                // The batcher checked the request when it was submitted, so this is not expected; answer it anyway.
                ticket.Fail(StreamErrors.Failed("the request", e));
                Dequeue();
                Answer(ticket, default);
                continue;
            }
            if (!started)
                return; // the oldest request waits for rows, and the ones behind it with it
            ticket.Handle = handle;
            _running[_runningCount++] = ticket;
            Dequeue();
        }
    }

    private void Dequeue()
    {
        _queue[_queueStart] = null!;
        _queueStart = (_queueStart + 1) % _queue.Length;
        _queueCount--;
    }

    // Outside the lock: one step of the pool, then answers every request it finished.
    private void StepAndAnswer()
    {
        try
        {
            _pool.Step();
        }
        catch (Exception e)
        {
            // Fail every running request and free its rows, so the next step starts clean.
            while (_runningCount > 0)
            {
                TranslationTicket ticket = _running[--_runningCount];
                _running[_runningCount] = null!;
                ticket.Fail(StreamErrors.Failed("the request", e));
                StreamHandle handle = ticket.Handle;
                Answer(ticket, default);
                // The failed step may have left the request closed already; the worker must live on either way, or every
                // later caller would wait forever.
                if (_pool.IsOpen(handle))
                    _pool.Close(handle);
            }
            return;
        }
        for (int i = _runningCount - 1; i >= 0; i--)
        {
            TranslationTicket ticket = _running[i];
            if (!_pool.IsFinished(ticket.Handle))
                continue;
            TranslationResult result = ticket.AllHypotheses ? CopyHypotheses(ticket) : CopyBest(ticket);
            _pool.Close(ticket.Handle);
            _running[i] = _running[--_runningCount];
            _running[_runningCount] = null!;
            Answer(ticket, result);
        }
    }

    private TranslationResult CopyBest(TranslationTicket ticket)
    {
        ReadOnlySpan<int> tokens = _pool.Tokens(ticket.Handle);
        tokens.CopyTo(ticket.Destination);
        return new TranslationResult(tokens.Length, _pool.Score(ticket.Handle));
    }

    // Every finished hypothesis of a beam, best first, one after another in the output.
    private TranslationResult CopyHypotheses(TranslationTicket ticket)
    {
        int count = _pool.BeamResultCount(ticket.Handle), start = 0;
        Span<int> output = ticket.Destination;
        Span<TranslationHypothesis> hypotheses = ticket.HypothesisDestination;
        for (int rank = 0; rank < count; rank++)
        {
            ReadOnlySpan<int> tokens = _pool.GetBeamResult(ticket.Handle, rank, out float score, out float normalized);
            tokens.CopyTo(output[start..]);
            hypotheses[rank] = new TranslationHypothesis(start, tokens.Length, score, normalized);
            start += tokens.Length;
        }
        return count == 0 ? new TranslationResult(0, 0f, 0) : new TranslationResult(hypotheses[0].Length, hypotheses[0].Score, count);
    }

    private void Answer(TranslationTicket ticket, TranslationResult result)
    {
        Interlocked.Decrement(ref _loadHint);
        ticket.Answer(result);
    }
}
