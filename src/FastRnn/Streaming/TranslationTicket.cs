using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>
/// One request of a <see cref="Seq2SeqBatcher"/> from submission to answer, drawn from the batcher's fixed set and
/// returned to it once the caller has the answer: the request's source (copied at submission), its options, where
/// its tokens go, and the pooled awaitable or blocking wait of its caller.
/// </summary>
internal sealed class TranslationTicket(Seq2SeqBatcher owner, int maxSourceLength, int maxOutputLength) : PooledOperation<TranslationResult>
{
    private readonly int[] _result = new int[maxOutputLength]; // the blocking caller's tokens, written by the worker
    private Memory<int> _output;                                // the asynchronous caller's tokens

    public int[] Source { get; } = new int[maxSourceLength];

    public int SourceLength { get; private set; }

    /// <summary>Greedy or sampling options; null for a beam search.</summary>
    public DecodingOptions? Greedy { get; private set; }

    /// <summary>Beam options; null for greedy decoding.</summary>
    public BeamOptions? Beam { get; private set; }

    /// <summary>The request in its worker's pool while it decodes.</summary>
    public StreamHandle Handle { get; set; }

    /// <summary>Where the worker writes the tokens.</summary>
    public Span<int> Destination => IsBlocking ? _result : _output.Span;

    /// <summary>Takes a request (its source copied now) for a blocking call, or for an awaited one writing into <paramref name="output"/>; returns the task's token.</summary>
    public short Begin(ReadOnlySpan<int> source, DecodingOptions? greedy, BeamOptions? beam, Memory<int> output, bool blocking)
    {
        source.CopyTo(Source);
        SourceLength = source.Length;
        Greedy = greedy;
        Beam = beam;
        Handle = default;
        if (blocking)
        {
            BeginBlocking();
            return 0;
        }
        _output = output;
        return BeginAsync();
    }

    /// <summary>Blocks until the answer, copies its tokens to <paramref name="output"/> and returns the ticket.</summary>
    public TranslationResult Wait(Span<int> output)
    {
        TranslationResult result = WaitBlocking();
        Exception? failure = Failure;
        if (failure is null)
            _result.AsSpan(0, result.Length).CopyTo(output);
        Consumed();
        if (failure is not null)
            throw new InvalidOperationException($"the request failed: {failure.Message}", failure);
        return result;
    }

    /// <summary>Wakes the caller (called by the worker outside its lock).</summary>
    public void Answer(TranslationResult result)
    {
        _output = default;
        Complete(result);
    }

    protected override void Consumed()
    {
        Greedy = null;
        Beam = null;
        owner.Return(this);
    }
}
