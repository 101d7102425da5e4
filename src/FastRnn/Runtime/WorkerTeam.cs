using System.Runtime.CompilerServices;
using FastRnn.Kernels;

namespace FastRnn.Runtime;

/// <summary>
/// The intra-op threads of one session: the calling thread plus <c>threads − 1</c> workers that split each large
/// matrix product by panels (32 output rows), or run a few long independent pieces of work at once
/// (<see cref="RunTogether"/>). Nothing is allocated per product.
/// </summary>
/// <remarks>
/// <para><b>Private caches.</b> Worker i always takes the same panel range of a given matrix, so from step to step its
/// slice of the weights stays in its own core's L2 (DeepCPU's private-cache partitioning): two cores hold twice the
/// weights a single one can.</para>
/// <para><b>Barrier.</b> The caller publishes the product and bumps a generation counter; workers spin on it for
/// <see cref="SpinIterations"/> rounds (a step arrives every few microseconds in a stream), then sleep on their own
/// semaphore, which the caller releases only if they went to sleep. The caller computes slice 0 itself and spins until
/// every worker has counted itself done.</para>
/// <para><b>Bit-identical.</b> Every output row is computed by the same kernel, over the same columns in the same order,
/// whichever thread computes it, so results equal one thread's to the bit.</para>
/// <para>Memory handed to workers is pinned by the caller for the duration of the product (<c>fixed</c>), and the
/// caller does not return before they are done, so a span of the caller's — even on its stack — is safe to share.</para>
/// </remarks>
internal sealed unsafe class WorkerTeam : IDisposable
{
    /// <summary>Products with fewer multiply-adds than this run on the calling thread alone: below it, the barrier costs more than the second core saves.</summary>
    public const long MinParallelMultiplyAdds = 1L << 17;

    /// <summary>Spin rounds before an idle worker sleeps (SpinWait rounds, not counting the yields it may insert).</summary>
    private const int SpinIterations = 20_000;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly long[] _allocated; // each worker's GC.GetAllocatedBytesForCurrentThread after its last product
    private readonly long[] _completed; // the generation each worker last finished its share of
    private long _generation;
    private int _pending;
    private volatile bool _stopping;
    private Exception? _failure;

    // The work in flight (a product, or _task): read by the workers between the generation bump and their decrement
    // of _pending.
    private PackedMatrix? _w;
    private float* _x, _y, _bias;
    private int _xLength, _yLength, _biasLength, _xStride, _yStride, _count;
    private bool _accumulate;
    private bool _streams;
    private bool _reverse;
    private PackedMatrix? _w2;   // the second matrix of MultiplyTwo, with its vector, output and bias; null for one product
    private float* _x2, _y2, _bias2;
    private int _x2Length, _y2Length, _bias2Length;
    private bool _sweepBackward; // this step's single-vector products visit their panels last to first
    private ITeamTask? _task;    // published instead of a product by RunTogether

    /// <param name="threads">Threads in all, counting the caller: 1 to <see cref="Environment.ProcessorCount"/> × 4.</param>
    public WorkerTeam(int threads)
    {
        Threads = threads;
        _workers = new Thread[threads - 1];
        _wake = new SemaphoreSlim[threads - 1];
        _sleeping = new int[threads - 1];
        _allocated = new long[threads - 1];
        _completed = new long[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            int index = i + 1;
            _workers[i] = new Thread(() => Work(index)) { IsBackground = true, Name = $"FastRnn worker {index}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads in the team, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Whether <see cref="RunTogether"/> runs its parts at once: the team has workers and they have not been
    /// stopped. Otherwise the caller runs every part in turn, so a task whose parts wait on each other must not be given.</summary>
    public bool RunsConcurrently => Threads > 1 && !_stopping;

    /// <summary>
    /// Starts a time step: its products with one vector visit their panels in the direction opposite to the last
    /// step's (<see cref="PanelSweep"/>), so each begins with the weights the same product read last, still in the
    /// cache. Weights that stream from memory are always read first to last: there the alternation measured slower
    /// (Zen 5, an LSTM 1024 step over 32 MiB: 5 %). A team belongs to one session or pool, whose every matrix is used
    /// once per step, so alternating per step alternates per matrix.
    /// </summary>
    public void NextStep() => _sweepBackward = !_sweepBackward;

    /// <summary>Whether this step's products with one vector sweep backwards (see <see cref="NextStep"/>), for cells
    /// that can order their products to match.</summary>
    public bool SweepsBackward => _sweepBackward;

    // Whether this product visits its panels backwards (see NextStep).
    private bool Reverses(long weightBytes, int count, bool streams)
        => _sweepBackward && count == 1 && !streams && !KernelSelector.StreamsFromMemory(weightBytes);

    /// <summary>
    /// <see cref="KernelSet.Multiply"/>, split by panels across the team when the product is large enough; the results
    /// equal the single-threaded product bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate, bool streams = false)
    {
        bool reverse = Reverses(w.WeightBytes, count, streams);
        if (Threads == 1 || w.PanelCount < Threads || (long)w.Rows * w.Cols * count < MinParallelMultiplyAdds)
        {
            w.KernelsFor(count).Multiply(w, x, xStride, y, yStride, count, bias, accumulate, streams, reverse);
            return;
        }

        fixed (float* px = x, py = y, pb = bias)
        {
            _w = w;
            _x = px;
            _y = py;
            _bias = pb;
            _xLength = x.Length;
            _yLength = y.Length;
            _biasLength = bias.Length;
            _xStride = xStride;
            _yStride = yStride;
            _count = count;
            _accumulate = accumulate;
            _streams = streams;
            _reverse = reverse;
            RunPublished();
        }
    }

    /// <summary>
    /// <see cref="KernelSet.MultiplyTwoPanels"/> over all panels of two matrices with the same rows, one vector each (a
    /// GRU step's W_ih x and W_hh h), split by panels across the team like <see cref="Multiply"/>; the same bits as one
    /// thread.
    /// </summary>
    public void MultiplyTwo(PackedMatrix a, ReadOnlySpan<float> xa, Span<float> ya, ReadOnlySpan<float> biasA,
                            PackedMatrix b, ReadOnlySpan<float> xb, Span<float> yb, ReadOnlySpan<float> biasB, bool streams)
    {
        bool reverse = Reverses(a.WeightBytes + b.WeightBytes, 1, streams);
        if (Threads == 1 || a.PanelCount < Threads || (long)a.Rows * (a.Cols + b.Cols) < MinParallelMultiplyAdds)
        {
            a.KernelsFor(1).MultiplyTwoPanels(a, xa, ya, biasA, b, xb, yb, biasB, 0, a.PanelCount, reverse);
            return;
        }

        fixed (float* px = xa, py = ya, pb = biasA, px2 = xb, py2 = yb, pb2 = biasB)
        {
            _w = a;
            _x = px;
            _y = py;
            _bias = pb;
            (_xLength, _yLength, _biasLength) = (xa.Length, ya.Length, biasA.Length);
            _w2 = b;
            _x2 = px2;
            _y2 = py2;
            _bias2 = pb2;
            (_x2Length, _y2Length, _bias2Length) = (xb.Length, yb.Length, biasB.Length);
            _count = 1;
            _reverse = reverse;
            RunPublished();
        }
    }

    /// <summary>
    /// Runs <paramref name="task"/> on every thread of the team at once, the caller as thread 0, and returns when all
    /// are done: work that splits into a few long independent pieces (the two directions of a bidirectional layer)
    /// rather than by panels. A failure on a worker is rethrown here.
    /// </summary>
    public void RunTogether(ITeamTask task)
    {
        if (Threads == 1)
        {
            task.Run(0);
            return;
        }
        _task = task;
        RunPublished();
    }

    // Wakes the workers on the work just published (a product's fields or _task), does the caller's share (thread 0),
    // waits for theirs, then clears the publication and rethrows a worker's failure.
    private void RunPublished()
    {
        if (_stopping)
        {
            // Disposed: no worker is left to take a share, so the caller takes them all, in order.
            try
            {
                for (int i = 0; i < Threads; i++)
                    Share(i);
            }
            finally
            {
                _w = null;
                _w2 = null;
                _task = null;
            }
            return;
        }

        Volatile.Write(ref _pending, Threads - 1);
        long generation = Interlocked.Increment(ref _generation);
        for (int i = 0; i < _wake.Length; i++)
        {
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                _wake[i].Release();
        }

        bool callerDone = false;
        try
        {
            Share(0);
            callerDone = true;
        }
        finally
        {
            // Even if the caller's share failed, the workers still read the published (pinned) work: wait for them
            // before the caller unpins it. The caller's exception is the one that propagates then; a worker's from
            // the same work is dropped with it rather than left for the next product to report.
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
                spin.SpinOnce(sleep1Threshold: -1);
            _w = null;
            _w2 = null;
            _task = null;
            if (!callerDone)
                Interlocked.Exchange(ref _failure, null);
        }

        Exception? failure = Interlocked.Exchange(ref _failure, null);
        if (failure is not null)
            throw new InvalidOperationException($"a worker thread failed: {failure.Message}", failure);
        CheckInStep(generation);
    }

    // Every worker counted itself done with this very product: a worker that counted itself done with another one
    // would leave rows of this product unwritten or written from the wrong inputs, so it is an exception rather than
    // wrong numbers. A few reads per product.
    private void CheckInStep(long generation)
    {
        for (int i = 0; i < _completed.Length; i++)
        {
            long completed = Volatile.Read(ref _completed[i]);
            if (completed != generation)
                throw new InvalidOperationException($"worker {i + 1} of {Threads} finished work {completed}, not the work {generation} in flight: the team is out of step");
        }
    }

    /// <summary>Bytes the workers have allocated on their own threads, as of their last product (for tests: it must not grow).</summary>
    internal long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _allocated.Length; i++)
                sum += Volatile.Read(ref _allocated[i]);
            return sum;
        }
    }

    /// <summary>Stops the workers; products afterwards run on the calling thread.</summary>
    public void Dispose()
    {
        if (_workers.Length == 0 || _stopping)
            return;
        _stopping = true;
        Interlocked.Increment(ref _generation);
        for (int i = 0; i < _wake.Length; i++)
        {
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                _wake[i].Release();
        }
        foreach (Thread worker in _workers)
            worker.Join();
        foreach (SemaphoreSlim wake in _wake)
            wake.Dispose();
    }

    // Thread `index`'s share of the published work: its part of the task, or of the product's panels (an equal share,
    // the remainder going one each to the first threads).
    private void Share(int index)
    {
        if (_task is { } task)
        {
            task.Run(index);
            return;
        }
        PackedMatrix w = _w!;
        int panels = w.PanelCount, share = panels / Threads, extra = panels % Threads;
        int first = index * share + Math.Min(index, extra);
        int mine = share + (index < extra ? 1 : 0);
        if (_w2 is { } second)
        {
            w.KernelsFor(1).MultiplyTwoPanels(
                w, new ReadOnlySpan<float>(_x, _xLength), new Span<float>(_y, _yLength), new ReadOnlySpan<float>(_bias, _biasLength),
                second, new ReadOnlySpan<float>(_x2, _x2Length), new Span<float>(_y2, _y2Length), new ReadOnlySpan<float>(_bias2, _bias2Length),
                first, mine, _reverse);
            return;
        }
        w.KernelsFor(_count).MultiplyPanels(
            w, new ReadOnlySpan<float>(_x, _xLength), _xStride, new Span<float>(_y, _yLength), _yStride, _count,
            new ReadOnlySpan<float>(_bias, _biasLength), _accumulate, first, mine, _streams, _reverse);
    }

    private void Work(int index)
    {
        int slot = index - 1;
        long seen = 0;
        while (true)
        {
            long generation = Volatile.Read(ref _generation);
            for (int spins = 0; generation == seen && spins < SpinIterations; spins++)
            {
                Thread.SpinWait(8);
                generation = Volatile.Read(ref _generation);
            }
            if (generation == seen)
            {
                // Announce the sleep, then look once more: a product published in between must not be missed. The
                // announcement is a full fence (an interlocked write), not a volatile store: x86 lets a store wait in the
                // store buffer while a later load runs, so with a plain store this thread could read the old generation
                // while the caller, having bumped it, still read "not sleeping" and released nobody — a lost wake-up that
                // left the caller spinning on _pending forever (seen as an occasional hung test run).
                Interlocked.Exchange(ref _sleeping[slot], 1);
                generation = Volatile.Read(ref _generation);
                if (generation == seen)
                {
                    _wake[slot].Wait();
                    generation = Volatile.Read(ref _generation);
                }
                else if (Interlocked.Exchange(ref _sleeping[slot], 0) == 0)
                {
                    _wake[slot].Wait(); // the caller saw the flag and released us: consume it to keep the count balanced
                }
            }
            seen = generation;
            if (_stopping)
                return;
            try
            {
                Share(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Volatile.Write(ref _allocated[slot], GC.GetAllocatedBytesForCurrentThread());
            Volatile.Write(ref _completed[slot], seen);
            Interlocked.Decrement(ref _pending);
        }
    }
}

/// <summary>Work that <see cref="WorkerTeam.RunTogether"/> runs on every thread of a team at once.</summary>
internal interface ITeamTask
{
    /// <summary>Thread <paramref name="index"/>'s part (0 is the caller, 1.. the workers); it must not allocate.</summary>
    void Run(int index);
}
