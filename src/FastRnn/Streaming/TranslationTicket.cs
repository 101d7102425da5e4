using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>
/// One request of a <see cref="Seq2SeqBatcher"/> from submission to answer, drawn from the batcher's fixed set and
/// returned to it once the caller has the answer: the request's source (copied at submission), its options, where
/// its tokens (and an n-best search's hypotheses) go, its cancellation, and the pooled awaitable or blocking wait of
/// its caller.
/// </summary>
internal sealed class TranslationTicket(Seq2SeqBatcher owner, int maxSourceLength, int maxBeam, int maxOutputLength) : PooledOperation<TranslationResult>
{
    // The blocking caller's answer, written by the worker: room for maxBeam hypotheses of the longest output.
    private readonly int[] _tokens = new int[checked(maxBeam * maxOutputLength)];
    private readonly TranslationHypothesis[] _hypotheses = new TranslationHypothesis[maxBeam];
    private Memory<int> _output;                           // the asynchronous caller's tokens
    private Memory<TranslationHypothesis> _outputHypotheses; // and its n-best hypotheses
    private CancellationTokenRegistration _registration;

    public int[] Source { get; } = new int[maxSourceLength];

    public int SourceLength { get; private set; }

    /// <summary>Greedy or sampling options; null for a beam search.</summary>
    public DecodingOptions? Greedy { get; private set; }

    /// <summary>Beam options; null for greedy decoding.</summary>
    public BeamOptions? Beam { get; private set; }

    /// <summary>The caller wants every finished hypothesis of its beam (up to NBest), not only the best.</summary>
    public bool AllHypotheses { get; private set; }

    /// <summary>The caller's token: once cancelled, the worker answers the request with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; private set; }

    /// <summary>The request in its worker's pool while it decodes.</summary>
    public StreamHandle Handle { get; set; }

    /// <summary>Where the worker writes the tokens.</summary>
    public Span<int> Destination => IsBlocking ? _tokens : _output.Span;

    /// <summary>Where the worker writes an n-best search's hypotheses.</summary>
    public Span<TranslationHypothesis> HypothesisDestination => IsBlocking ? _hypotheses : _outputHypotheses.Span;

    /// <summary>
    /// Takes a request (its source copied now) for a blocking call, or for an awaited one writing into
    /// <paramref name="output"/> (and <paramref name="hypotheses"/> when <paramref name="allHypotheses"/>); returns the task's token.
    /// </summary>
    public short Begin(ReadOnlySpan<int> source, DecodingOptions? greedy, BeamOptions? beam, bool allHypotheses,
        Memory<int> output, Memory<TranslationHypothesis> hypotheses, bool blocking, CancellationToken cancellation)
    {
        source.CopyTo(Source);
        SourceLength = source.Length;
        Greedy = greedy;
        Beam = beam;
        AllHypotheses = allHypotheses;
        Cancellation = cancellation;
        Handle = default;
        if (blocking)
        {
            BeginBlocking();
            return 0;
        }
        _output = output;
        _outputHypotheses = hypotheses;
        return BeginAsync();
    }

    /// <summary>
    /// Tells <paramref name="worker"/> when the caller's token is cancelled, so that a request waiting in its queue is
    /// answered at once (a decoding one is looked at every step anyway). Registers nothing for a token that cannot be cancelled.
    /// </summary>
    public void Watch(TranslationWorker worker)
    {
        if (Cancellation.CanBeCanceled)
            _registration = Cancellation.UnsafeRegister(static state => ((TranslationWorker)state!).Cancelled(), worker);
    }

    /// <summary>Blocks until the answer, copies its tokens (and hypotheses) to the caller's buffers and returns the ticket.</summary>
    public TranslationResult Wait(Span<int> output, Span<TranslationHypothesis> hypotheses)
    {
        TranslationResult result = WaitBlocking();
        Exception? failure = Failure;
        if (failure is null)
        {
            if (AllHypotheses)
            {
                _hypotheses.AsSpan(0, result.Hypotheses).CopyTo(hypotheses);
                TranslationHypothesis last = result.Hypotheses == 0 ? default : _hypotheses[result.Hypotheses - 1];
                _tokens.AsSpan(0, last.Start + last.Length).CopyTo(output);
            }
            else
            {
                _tokens.AsSpan(0, result.Length).CopyTo(output);
            }
        }
        Consumed();
        if (failure is not null)
            throw failure;
        return result;
    }

    /// <summary>Wakes the caller (called by the worker).</summary>
    public void Answer(TranslationResult result)
    {
        // Unregister, not Dispose: a cancellation callback running now waits for the worker's lock, which the worker
        // may hold; a callback that still runs only makes the worker look for cancelled requests.
        _registration.Unregister();
        _registration = default;
        _output = default;
        _outputHypotheses = default;
        Complete(result);
    }

    protected override void Consumed()
    {
        Greedy = null;
        Beam = null;
        Cancellation = default;
        owner.Return(this);
    }
}
