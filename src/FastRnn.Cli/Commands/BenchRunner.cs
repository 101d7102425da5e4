using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>One thread's medians and allocations.</summary>
internal sealed record ThreadResult(double? StepMicroseconds, double SeqStepMicroseconds, double AllocatedBytesPerStep);

/// <summary>
/// The medians over threads' medians (with one thread, just its medians), the stream-steps per second all threads did
/// together by the wall clock, and the bytes allocated per timed step over every thread.
/// </summary>
internal sealed record BenchResult(
    double? StepMicroseconds, double SeqStepMicroseconds, double AllocatedBytesPerStep,
    double? StepThroughput, double SeqThroughput, IReadOnlyList<ThreadResult> PerThread)
{
    /// <summary>Milliseconds <c>RnnModel.Load</c> took (open, validate, checksum, repack).</summary>
    public double LoadMilliseconds { get; init; }

    /// <summary>Threads the load used (<see cref="ModelLoadOptions.Threads"/>).</summary>
    public int LoadThreads { get; init; } = 1;
}

/// <summary>
/// Runs the measurement: each thread owns a session and its buffers, warms up on its own, then all start each timed
/// phase together (a barrier), so with N threads the numbers show what N concurrent streams of work get.
/// </summary>
internal static class BenchRunner
{
    public static BenchResult Run(RnnModel model, BenchSettings settings)
    {
        bool canStep = !model.Config.Bidirectional;
        var workers = new Worker[settings.Threads];
        using var barrier = new Barrier(settings.Threads);
        var failures = new ExceptionDispatchInfo?[settings.Threads];
        var threads = new Thread[settings.Threads];
        for (int i = 0; i < threads.Length; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    workers[index] = new Worker(model, settings, seed: 1 + index);
                    workers[index].Measure(barrier, canStep);
                }
                catch (Exception e)
                {
                    failures[index] = ExceptionDispatchInfo.Capture(e);
                    barrier.RemoveParticipant(); // the others must not wait for this thread
                }
            })
            { Name = $"bench-{index}", IsBackground = true };
            threads[i].Start();
        }
        foreach (Thread thread in threads)
            thread.Join();
        failures.FirstOrDefault(f => f is not null)?.Throw();

        ThreadResult[] perThread = workers.Select(w => w.Result(canStep)).ToArray();
        long timedSteps = (canStep ? settings.Steps : 0) + (long)settings.Runs * settings.SeqLen;
        double streamSteps = (double)settings.Batch * settings.Threads;
        return new BenchResult(
            canStep ? Median(perThread.Select(t => t.StepMicroseconds!.Value)) : null,
            Median(perThread.Select(t => t.SeqStepMicroseconds)),
            (double)workers.Sum(w => w.AllocatedBytes) / (timedSteps * settings.Threads),
            canStep ? streamSteps * settings.Steps / WallSeconds(workers, w => w.StepPhase) : null,
            streamSteps * settings.Runs * settings.SeqLen / WallSeconds(workers, w => w.RunPhase),
            perThread);
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // From the first thread's start to the last thread's end of a phase.
    private static double WallSeconds(Worker[] workers, Func<Worker, (long Start, long End)> phase)
    {
        long start = workers.Min(w => phase(w).Start), end = workers.Max(w => phase(w).End);
        return Math.Max(end - start, 1) / (double)Stopwatch.Frequency;
    }

    private sealed class Worker
    {
        private readonly RnnSession _session;
        private readonly BenchSettings _settings;
        private readonly float[] _stepInput, _stepOutput, _runInput, _runOutput;
        private readonly long[] _stepTicks, _runTicks;

        public Worker(RnnModel model, BenchSettings settings, int seed)
        {
            _settings = settings;
            _session = model.CreateSession(settings.Batch, settings.SeqLen, settings.IntraThreads);
            var random = new Random(seed);
            _stepInput = Fill(new float[_session.InputLength], random);
            _stepOutput = new float[_session.OutputLength];
            _runInput = Fill(new float[(long)settings.SeqLen * _session.InputLength], random);
            _runOutput = new float[(long)settings.SeqLen * _session.OutputLength];
            _stepTicks = new long[settings.Steps];
            _runTicks = new long[settings.Runs];
        }

        public long AllocatedBytes { get; private set; }

        public (long Start, long End) StepPhase { get; private set; }

        public (long Start, long End) RunPhase { get; private set; }

        public void Measure(Barrier barrier, bool canStep)
        {
            // Warm-up: the same loops, shorter, so the timed ones run compiled code on warm caches.
            if (canStep)
                TimeSteps(Math.Min(_settings.Steps, 100));
            TimeRuns(Math.Min(_settings.Runs, 2));

            if (canStep)
            {
                barrier.SignalAndWait();
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                TimeSteps(_settings.Steps);
                StepPhase = (start, Stopwatch.GetTimestamp());
                AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            }
            barrier.SignalAndWait();
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                TimeRuns(_settings.Runs);
                RunPhase = (start, Stopwatch.GetTimestamp());
                AllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        public ThreadResult Result(bool canStep)
        {
            double perTick = 1e6 / Stopwatch.Frequency;
            return new ThreadResult(
                canStep ? Median(_stepTicks.Select(t => t * perTick)) : null,
                Median(_runTicks.Select(t => t * perTick / _settings.SeqLen)),
                (double)AllocatedBytes / ((canStep ? _settings.Steps : 0) + (long)_settings.Runs * _settings.SeqLen));
        }

        // Fully optimised from the first call: a tier-0 loop (or its on-stack replacement) would skew the timings.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void TimeSteps(int count)
        {
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                _session.Step(_stepInput, _stepOutput);
                _stepTicks[i] = Stopwatch.GetTimestamp() - start;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void TimeRuns(int count)
        {
            for (int i = 0; i < count; i++)
            {
                _session.Reset(); // every run starts from the zero state, as a fresh sequence would
                long start = Stopwatch.GetTimestamp();
                _session.Run(_runInput, _runOutput);
                _runTicks[i] = Stopwatch.GetTimestamp() - start;
            }
        }

        private static float[] Fill(float[] values, Random random)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = random.NextSingle() * 2 - 1;
            return values;
        }
    }
}
