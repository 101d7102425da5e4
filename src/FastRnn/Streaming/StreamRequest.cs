namespace FastRnn.Streaming;

/// <summary>
/// The one step in flight of one stream slot of a <see cref="StreamBatcher"/>, allocated with the slot and reused for
/// every step: the awaitable behind <see cref="StreamBatcher.StepAsync"/> and the monitor behind the blocking
/// <see cref="StreamBatcher.Step"/>, so no call allocates.
/// </summary>
internal sealed class StreamRequest(int outputLength) : PooledOperation<bool>
{
    private readonly float[] _result = new float[outputLength]; // (H_out): the blocking caller's output, written by the worker
    private Memory<float> _output;                              // the asynchronous caller's output
    private volatile bool _inFlight;

    /// <summary>A step was submitted and its caller has not yet taken the result.</summary>
    public bool InFlight => _inFlight;

    /// <summary>Starts a blocking step: <see cref="Wait"/> returns its output.</summary>
    public new void BeginBlocking()
    {
        base.BeginBlocking();
        _inFlight = true;
    }

    /// <summary>Starts an awaited step writing into <paramref name="output"/>; returns the token of its <see cref="ValueTask"/>.</summary>
    public short BeginAsync(Memory<float> output)
    {
        short token = BeginAsync();
        _output = output;
        _inFlight = true;
        return token;
    }

    /// <summary>Where the worker writes the stream's output (under the worker's lock).</summary>
    public Span<float> Destination => IsBlocking ? _result : _output.Span;

    /// <summary>Wakes the caller (called by the worker outside its lock).</summary>
    public void Complete()
    {
        _output = default;
        Complete(true);
    }

    /// <summary>Blocks until the worker completes the step, then copies its output.</summary>
    public void Wait(Span<float> output)
    {
        WaitBlocking();
        Exception? failure = Failure;
        if (failure is null)
            _result.CopyTo(output);
        Consumed();
        if (failure is not null)
            throw failure;
    }

    protected override void Consumed() => _inFlight = false;
}
