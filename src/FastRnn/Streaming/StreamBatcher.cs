using FastRnn.Runtime;

namespace FastRnn.Streaming;

/// <summary>
/// The thread-safe front of a <see cref="StreamPool"/> for servers: any number of producer threads open streams and
/// submit frames, and one or more worker threads gather the frames into ticks (continuous batching). Each call waits
/// for its tick — blocking with <see cref="Step"/>, or awaiting the pooled <see cref="ValueTask"/> of
/// <see cref="StepAsync"/> — and neither allocates.
/// </summary>
/// <remarks>
/// A worker ticks as soon as every stream open on it has a frame, when <see cref="StreamBatcherOptions.MaxBatch"/>
/// frames wait, or when the first waiting frame has waited <see cref="StreamBatcherOptions.MaxWait"/>. A stream has at
/// most one step in flight: its next frame depends on nothing, but its state does on the previous step. The numbers are
/// the pool's (see <see cref="StreamPool"/>). <see cref="Dispose"/> runs a last tick for every frame already submitted,
/// so no caller is left waiting, then stops the workers.
/// </remarks>
public sealed class StreamBatcher : IDisposable
{
    private readonly StreamWorker[] _workers;
    private readonly int _perWorker;
    private readonly bool _validateInputs;
    private int _disposed;

    /// <summary>Starts the workers; every buffer is allocated now.</summary>
    /// <exception cref="InvalidOperationException">The model is bidirectional or reverse.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the model cannot stream (see <see cref="StreamPool"/>).</exception>
    public StreamBatcher(RnnModel model, StreamBatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new StreamBatcherOptions();
        options.Validate();
        _perWorker = (options.Capacity + options.Workers - 1) / options.Workers;
        _workers = new StreamWorker[options.Workers];
        try
        {
            for (int i = 0; i < _workers.Length; i++)
                _workers[i] = new StreamWorker(model, _perWorker, options, i);
        }
        catch
        {
            foreach (StreamWorker? worker in _workers)
                worker?.Dispose();
            throw;
        }
        InputLength = model.Config.InputSize;
        OutputLength = model.Config.OutputHiddenSize;
        _validateInputs = options.ValidateInputs;
    }

    /// <summary>The most streams open at once: ⌈Capacity / Workers⌉ per worker.</summary>
    public int Capacity => _perWorker * _workers.Length;

    /// <summary>Floats of one frame, I.</summary>
    public int InputLength { get; }

    /// <summary>Floats of one output, H_out.</summary>
    public int OutputLength { get; }

    /// <summary>Opens a stream in the model's initial state, on the worker with the fewest open streams.</summary>
    /// <exception cref="InvalidOperationException">Every slot is taken.</exception>
    public StreamHandle Open()
    {
        int first = 0;
        for (int i = 1; i < _workers.Length; i++)
        {
            if (_workers[i].OpenCount < _workers[first].OpenCount)
                first = i;
        }
        for (int k = 0; k < _workers.Length; k++)
        {
            int w = (first + k) % _workers.Length;
            if (_workers[w].TryOpen(out StreamHandle local))
                return new StreamHandle(w * _perWorker + local.Id, local.Generation);
        }
        throw StreamErrors.Full(Capacity);
    }

    /// <summary>Closes a stream that has no step in flight.</summary>
    public void Close(StreamHandle stream) => WorkerOf(stream, out StreamHandle local).Close(local);

    /// <summary>Returns a stream with no step in flight to the model's initial state.</summary>
    public void Reset(StreamHandle stream) => WorkerOf(stream, out StreamHandle local).Reset(local);

    /// <summary>
    /// Submits the stream's next frame (I floats, copied now) and blocks until its tick has run, then writes the
    /// stream's output (H_out floats). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or (with <see cref="StreamBatcherOptions.ValidateInputs"/>) the frame is not finite.</exception>
    /// <exception cref="InvalidOperationException">The stream is not open, or already has a step in flight.</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public void Step(StreamHandle stream, ReadOnlySpan<float> frame, Span<float> output)
    {
        CheckFrame(stream, frame, output.Length);
        StreamWorker worker = WorkerOf(stream, out StreamHandle local);
        worker.Submit(local, frame, default, blocking: true, out _).Wait(output);
    }

    /// <summary>
    /// Submits the stream's next frame (I floats, copied now); the returned task completes once its tick has written
    /// the stream's output into <paramref name="output"/> (H_out floats, which must stay untouched until then). The task
    /// is backed by the stream's pooled source: await it exactly once, before the stream's next step. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A buffer has the wrong length, or (with <see cref="StreamBatcherOptions.ValidateInputs"/>) the frame is not finite.</exception>
    /// <exception cref="InvalidOperationException">The stream is not open, or already has a step in flight.</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public ValueTask StepAsync(StreamHandle stream, ReadOnlySpan<float> frame, Memory<float> output)
    {
        CheckFrame(stream, frame, output.Length);
        StreamWorker worker = WorkerOf(stream, out StreamHandle local);
        StreamRequest request = worker.Submit(local, frame, output, blocking: false, out short token);
        return new ValueTask(request, token);
    }

    /// <summary>
    /// Stops taking frames, completes every step already submitted with one last tick, and stops the workers. Later
    /// calls throw <see cref="ObjectDisposedException"/>. Calling it twice is harmless.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        foreach (StreamWorker worker in _workers)
            worker.Dispose();
    }

    /// <summary>Bytes the worker threads have allocated, as of their last ticks (for tests: it must not grow).</summary>
    internal long WorkerAllocatedBytes => _workers.Sum(w => w.AllocatedBytes);

    private StreamWorker WorkerOf(StreamHandle stream, out StreamHandle local)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if ((uint)stream.Id >= (uint)Capacity)
            throw StreamErrors.NotOpen(stream);
        local = new StreamHandle(stream.Id % _perWorker, stream.Generation);
        return _workers[stream.Id / _perWorker];
    }

    private void CheckFrame(StreamHandle stream, ReadOnlySpan<float> frame, int output)
    {
        if (frame.Length != InputLength)
            throw Errors.Length("frame", frame.Length, InputLength, $"(I) = ({InputLength})");
        if (output != OutputLength)
            throw Errors.Length("output", output, OutputLength, $"(H_out) = ({OutputLength})");
        if (_validateInputs)
            FiniteInputCheck.Frame(frame, stream.Id);
    }
}
