using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Benchmarks;

/// <summary>
/// The thread-safe front against the pool it wraps: R of the shipped date normaliser's held-out dates translated at
/// once, greedy, either started together in a <see cref="Seq2SeqPool"/> by one thread (the baseline: no threads, no
/// queue), or each by its own caller thread through a <see cref="Seq2SeqBatcher"/> with one worker (the same one core
/// decoding, plus the queue, the hand-offs and the wake-ups) or two (both cores). Dates/s is R over the median iteration.
/// </summary>
/// <remarks>
/// The R caller threads live for the whole run; an iteration releases them all and waits until each has its answer,
/// so its time includes waking R threads and R blocking waits. The batcher's MaxWait is zero: requests that arrive while
/// a worker is idle start at once, and the rest join at its next step.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class Seq2SeqBatcherBenchmarks
{
    private const int MaxOutputLength = 16;

    private Seq2SeqPool _pool = null!;
    private Seq2SeqBatcher _batcher = null!;
    private int[][] _sources = null!;
    private HeldOutDates _dates = null!;
    private StreamHandle[] _requests = null!;
    private DecodingOptions _options = null!;
    private Thread[] _callers = null!;
    private SemaphoreSlim[] _start = null!; // one per caller, so that each translates its own date once per iteration
    private readonly ManualResetEventSlim _done = new(false);
    private int _remaining;
    private volatile bool _stopping;

    /// <summary>R, the dates (and caller threads) per iteration.</summary>
    [Params(64)]
    public int Requests { get; set; }

    /// <summary>Worker threads of the batcher (each its own pool of R / workers rows).</summary>
    [Params(1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dates = HeldOutDates.Load(Requests);
        Seq2SeqModel model = _dates.Model;
        _sources = _dates.Sources;
        _options = DecodingOptions.Greedy(MaxOutputLength);
        _pool = new Seq2SeqPool(model, capacity: Requests, maxOutputLength: MaxOutputLength);
        _requests = new StreamHandle[Requests];
        _batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions
        {
            Capacity = Requests, Workers = Workers, MaxOutputLength = MaxOutputLength, MaxWait = TimeSpan.Zero,
        });
        var answers = new string[Requests];
        _start = [.. Enumerable.Range(0, Requests).Select(_ => new SemaphoreSlim(0))];
        _callers = [.. Enumerable.Range(0, Requests).Select(i => new Thread(() => Caller(i, model, answers)) { IsBackground = true })];
        foreach (Thread caller in _callers)
            caller.Start();
        // Every caller must get its own date right before anything is timed.
        BatcherTogether();
        for (int i = 0; i < Requests; i++)
        {
            if (answers[i] != _dates.Expected[i])
                throw new InvalidOperationException($"date {i} \"{_dates.Inputs[i]}\": the batcher gives {answers[i]}, expected {_dates.Expected[i]}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopping = true;
        foreach (SemaphoreSlim start in _start)
            start.Release();
        foreach (Thread caller in _callers)
            caller.Join();
        _batcher.Dispose();
        _pool.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Seq2SeqPool, one thread")]
    public int PoolTogether() => _dates.DecodeTogether(_pool, _options, _requests);

    [Benchmark(Description = "Seq2SeqBatcher, a caller thread per date")]
    public void BatcherTogether()
    {
        _remaining = Requests;
        _done.Reset();
        foreach (SemaphoreSlim start in _start)
            start.Release();
        _done.Wait();
    }

    private void Caller(int index, Seq2SeqModel model, string[] answers)
    {
        var tokens = new int[MaxOutputLength];
        bool first = true;
        while (true)
        {
            _start[index].Wait();
            if (_stopping)
                return;
            TranslationResult result = _batcher.Translate(_sources[index], _options, tokens);
            if (first)
            {
                answers[index] = model.DecodeText(tokens.AsSpan(0, result.Length));
                first = false;
            }
            if (Interlocked.Decrement(ref _remaining) == 0)
                _done.Set();
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config()
            => AddColumn(StatisticColumn.P50, new PercentileColumn(99, "one iteration's time"), new RateColumn("Dates/s", nameof(Requests), "dates translated per second: R / median iteration"));
    }
}
