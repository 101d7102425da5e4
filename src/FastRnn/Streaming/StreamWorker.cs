using System.Diagnostics;

namespace FastRnn.Streaming;

/// <summary>
/// One ticking thread of a <see cref="StreamBatcher"/> and the <see cref="StreamPool"/> it owns. Producers submit
/// frames under the worker's lock; the worker waits until its tick is due (every open stream has a frame,
/// <see cref="StreamBatcherOptions.MaxBatch"/> frames wait, or the first has waited
/// <see cref="StreamBatcherOptions.MaxWait"/>), ticks under the lock, copies each output to its request, and wakes the
/// callers after releasing the lock.
/// </summary>
internal sealed class StreamWorker : IDisposable
{
    private readonly object _gate = new();
    private readonly StreamPool _pool;
    private readonly StreamRequest[] _requests; // by the pool's stream id
    private readonly int[] _submitted;          // stream ids submitted since the last tick
    private readonly int[] _completed;          // stream ids of the last tick, woken outside the lock
    private readonly long _maxWaitTicks;        // Stopwatch ticks
    private readonly int _maxBatch;
    private readonly Thread _thread;
    private readonly Func<bool> _due; // Due, as one delegate for the worker's life
    private int _submittedCount;
    private int _openHint;
    private long _allocated;
    private long _firstPendingAt;
    private bool _stopping;

    public StreamWorker(RnnModel model, int capacity, StreamBatcherOptions options, int index)
    {
        _pool = new StreamPool(model, capacity, options.IntraOpThreads); // frames are checked by the batcher, which knows the stream's id
        _requests = new StreamRequest[capacity];
        for (int i = 0; i < capacity; i++)
            _requests[i] = new StreamRequest(_pool.OutputLength);
        _submitted = new int[capacity];
        _completed = new int[capacity];
        _maxWaitTicks = (long)(options.MaxWait.TotalSeconds * Stopwatch.Frequency);
        _maxBatch = options.MaxBatch == 0 ? capacity : Math.Min(options.MaxBatch, capacity);
        _due = () => Due;
        _thread = new Thread(Run) { IsBackground = true, Name = $"FastRnn stream worker {index}" };
        _thread.Start();
    }

    public int Capacity => _pool.Capacity;

    public int InputLength => _pool.InputLength;

    public int OutputLength => _pool.OutputLength;

    /// <summary>Streams open now (read without the lock: a hint for placing new streams).</summary>
    public int OpenCount => Volatile.Read(ref _openHint);

    /// <summary>Bytes the worker thread has allocated since it started, as of its last tick (for tests: it must not grow).</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocated);

    public bool TryOpen(out StreamHandle stream)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            bool opened = _pool.TryOpen(out stream);
            Volatile.Write(ref _openHint, _pool.OpenCount);
            return opened;
        }
    }

    public void Close(StreamHandle stream)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            CheckIdle(stream, "closing it");
            _pool.Close(stream);
            Volatile.Write(ref _openHint, _pool.OpenCount);
            // One stream fewer may complete the set of open streams the worker is waiting for.
            Monitor.Pulse(_gate);
        }
    }

    public void Reset(StreamHandle stream)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            CheckIdle(stream, "resetting it");
            _pool.Reset(stream);
        }
    }

    /// <summary>Submits a frame for a blocking step, or an awaited one when <paramref name="output"/> is given.</summary>
    public StreamRequest Submit(StreamHandle stream, ReadOnlySpan<float> frame, Memory<float> output, bool blocking, out short token)
    {
        lock (_gate)
        {
            ThrowIfStopping();
            StreamRequest request = CheckIdle(stream, "submitting its next frame");
            _pool.Submit(stream, frame);
            token = 0;
            if (blocking)
                request.BeginBlocking();
            else
                token = request.BeginAsync(output);
            _submitted[_submittedCount++] = stream.Id;
            if (_pool.PendingCount == 1)
                _firstPendingAt = Stopwatch.GetTimestamp();
            if (_pool.PendingCount == 1 || Due)
                Monitor.Pulse(_gate);
            return request;
        }
    }

    /// <summary>Stops taking frames, runs a last tick for the frames already submitted, and ends the thread.</summary>
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

    private bool Due => _stopping || _pool.PendingCount >= Math.Min(_maxBatch, _pool.OpenCount);

    private StreamRequest CheckIdle(StreamHandle stream, string operation)
    {
        if (!_pool.IsOpen(stream))
            throw StreamErrors.NotOpen(stream);
        StreamRequest request = _requests[stream.Id];
        if (request.InFlight)
            throw StreamErrors.Busy(stream, operation);
        return request;
    }

    private void ThrowIfStopping()
    {
        if (_stopping)
            throw StreamErrors.Disposed(nameof(StreamBatcher));
    }

    private void Run()
    {
        while (true)
        {
            int count;
            lock (_gate)
            {
                while (_pool.PendingCount == 0 && !_stopping)
                    Monitor.Wait(_gate);
                if (_pool.PendingCount == 0)
                    return;
                BatchWait.Until(_gate, _firstPendingAt + _maxWaitTicks, _due);
                count = TickLocked();
            }
            for (int i = 0; i < count; i++)
                _requests[_completed[i]].Complete();
            Volatile.Write(ref _allocated, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    // Called with the lock held: ticks and hands each stepped stream's output to its request.
    private int TickLocked()
    {
        int count = _submittedCount;
        _submittedCount = 0;
        try
        {
            int stepped = _pool.Tick();
            for (int row = 0; row < stepped; row++)
            {
                int id = _pool.StreamAt(row);
                _pool.OutputRow(row).CopyTo(_requests[id].Destination);
                _completed[row] = id;
            }
            return stepped;
        }
        catch (Exception e)
        {
            // Fail every step of the tick and drop its frames, so the next tick starts clean.
            _pool.DiscardInputs();
            for (int i = 0; i < count; i++)
            {
                _requests[_submitted[i]].Fail(StreamErrors.Failed("the step", e));
                _completed[i] = _submitted[i];
            }
            return count;
        }
    }
}
