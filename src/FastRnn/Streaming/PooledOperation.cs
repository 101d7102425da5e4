using System.Threading.Tasks.Sources;

namespace FastRnn.Streaming;

/// <summary>
/// One operation in flight, allocated once and reused for every call: the awaitable behind a pooled
/// <see cref="ValueTask{TResult}"/> (an <see cref="IValueTaskSource{TResult}"/>) and the monitor behind a blocking call,
/// so neither kind of call allocates. A worker thread completes it; the caller takes the result exactly once, after
/// which <see cref="Consumed"/> runs and the operation may be reused.
/// </summary>
/// <remarks>
/// The blocking wait is a plain monitor on an object allocated with the operation, not a
/// <see cref="ManualResetEventSlim"/>: that creates its lock object lazily, the first time a wait has to block, which
/// would be an allocation in the steady state whenever the first blocking wait comes late.
/// </remarks>
internal abstract class PooledOperation<TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    // Continuations run on the thread pool, never inline on the worker: a caller's code must not delay the next step.
    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };
    private readonly object _signal = new();
    private bool _done; // guarded by _signal
    private TResult _blockingResult = default!;
    private int _untaken; // Untaken(version) while an awaited call's result waits for its one GetResult; 0 otherwise

    /// <summary>The call blocks in <see cref="WaitBlocking"/> rather than awaiting.</summary>
    protected bool IsBlocking { get; private set; }

    /// <summary>The failure the caller sees instead of a result, if any.</summary>
    protected Exception? Failure { get; private set; }

    /// <summary>Starts a blocking call.</summary>
    protected void BeginBlocking()
    {
        Volatile.Write(ref _untaken, 0); // a stale task of an earlier awaited call must not take this one's place
        IsBlocking = true;
        Failure = null;
    }

    /// <summary>Starts an awaited call; returns the token of its task.</summary>
    protected short BeginAsync()
    {
        _core.Reset();
        IsBlocking = false;
        Failure = null;
        Volatile.Write(ref _untaken, Untaken(_core.Version));
        return _core.Version;
    }

    /// <summary>Records a failure the caller will see instead of a result.</summary>
    public void Fail(Exception failure) => Failure = failure;

    /// <summary>Wakes the caller with <paramref name="result"/>, or with the recorded failure (called by the worker outside its lock).</summary>
    public void Complete(TResult result)
    {
        if (IsBlocking)
        {
            _blockingResult = result;
            lock (_signal)
            {
                _done = true;
                Monitor.Pulse(_signal);
            }
            return;
        }
        if (Failure is null)
            _core.SetResult(result);
        else
            _core.SetException(Failure);
    }

    /// <summary>Blocks until the worker completes the call; returns its result, or throws if it failed (after <see cref="Consumed"/>).</summary>
    protected TResult WaitBlocking()
    {
        // A step takes tens of microseconds to milliseconds: spin briefly for the quick ones, then sleep.
        var spin = new SpinWait();
        while (!Volatile.Read(ref _done) && !spin.NextSpinWillYield)
            spin.SpinOnce(sleep1Threshold: -1);
        lock (_signal)
        {
            while (!_done)
                Monitor.Wait(_signal);
            _done = false;
        }
        return _blockingResult;
    }

    /// <summary>The caller has taken the result (or the failure): the operation may be reused.</summary>
    protected abstract void Consumed();

    public TResult GetResult(short token)
    {
        // Only the one GetResult of a completed call may hand the operation back: a second one (a task awaited twice, or
        // a stale copy) or an early one (ValueTask.Result before completion) would free it while its worker or the
        // next caller still holds it, and two requests would share it. Claimed atomically, so racing misuses cannot both pass.
        int untaken = Untaken(token);
        if (Interlocked.CompareExchange(ref _untaken, 0, untaken) != untaken)
            throw StreamErrors.TakenTwice();
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            Volatile.Write(ref _untaken, untaken); // still this call's: nothing can reuse it until it is taken
            throw StreamErrors.TakenTwice();
        }
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Consumed();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    // Tagged so that no version, 0 included, gives the "nothing to take" value 0.
    private static int Untaken(short version) => 0x1_0000 | (ushort)version;

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
