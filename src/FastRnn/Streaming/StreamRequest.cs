using System.Threading.Tasks.Sources;

namespace FastRnn.Streaming;

/// <summary>
/// The one step in flight of one stream slot of a <see cref="StreamBatcher"/>, allocated with the slot and reused for
/// every step: the awaitable behind <see cref="StreamBatcher.StepAsync"/> (a pooled <see cref="IValueTaskSource"/>) and
/// the monitor behind the blocking <see cref="StreamBatcher.Step"/>, so no call allocates.
/// </summary>
/// <remarks>
/// The blocking wait is a plain monitor on an object allocated with the request, not a <see cref="ManualResetEventSlim"/>:
/// that creates its lock object lazily, the first time a wait has to block, which would be an allocation in the
/// steady state whenever the first blocking wait comes late.
/// </remarks>
internal sealed class StreamRequest : IValueTaskSource
{
    // Continuations run on the thread pool, never inline on the worker: a producer's code must not delay the next tick.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private readonly object _signal = new();
    private bool _done; // guarded by _signal
    private readonly float[] _result;  // (H_out): the blocking caller's output, written by the worker
    private Memory<float> _output;     // the asynchronous caller's output
    private bool _blocking;
    private Exception? _failure;
    private volatile bool _inFlight;

    public StreamRequest(int outputLength) => _result = new float[outputLength];

    /// <summary>A step was submitted and its caller has not yet taken the result.</summary>
    public bool InFlight => _inFlight;

    /// <summary>Starts a blocking step: <see cref="Wait"/> returns its output.</summary>
    public void BeginBlocking()
    {
        _blocking = true;
        _failure = null;
        _inFlight = true;
    }

    /// <summary>Starts an awaited step writing into <paramref name="output"/>; returns the token of its <see cref="ValueTask"/>.</summary>
    public short BeginAsync(Memory<float> output)
    {
        _core.Reset();
        _blocking = false;
        _output = output;
        _failure = null;
        _inFlight = true;
        return _core.Version;
    }

    /// <summary>Where the worker writes the stream's output (under the worker's lock).</summary>
    public Span<float> Destination => _blocking ? _result : _output.Span;

    /// <summary>Records a failure the caller will see instead of a result.</summary>
    public void Fail(Exception failure) => _failure = failure;

    /// <summary>Wakes the caller (called by the worker outside its lock).</summary>
    public void Complete()
    {
        if (_blocking)
        {
            lock (_signal)
            {
                _done = true;
                Monitor.Pulse(_signal);
            }
            return;
        }
        _output = default;
        if (_failure is null)
            _core.SetResult(true);
        else
            _core.SetException(_failure);
    }

    /// <summary>Blocks until the worker completes the step, then copies its output.</summary>
    public void Wait(Span<float> output)
    {
        // A tick takes tens of microseconds to milliseconds: spin briefly for the quick ones, then sleep.
        var spin = new SpinWait();
        while (!Volatile.Read(ref _done) && !spin.NextSpinWillYield)
            spin.SpinOnce(sleep1Threshold: -1);
        lock (_signal)
        {
            while (!_done)
                Monitor.Wait(_signal);
            _done = false;
        }
        Exception? failure = _failure;
        if (failure is null)
            _result.CopyTo(output);
        _inFlight = false;
        if (failure is not null)
            throw new InvalidOperationException($"the step failed: {failure.Message}", failure);
    }

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _inFlight = false;
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
