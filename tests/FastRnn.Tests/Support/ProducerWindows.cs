namespace FastRnn.Tests.Support;

/// <summary>
/// Many producer threads measured for allocation together: each warms up, then runs its measured windows between
/// barriers shared with the test thread (which reads the workers' bytes at the same edges), then finishes. Each
/// thread's figure is its least bytes over the windows, and the workers' the least over the windows (see
/// <see cref="Allocations"/> for why the least of several rounds and not one).
/// </summary>
internal static class ProducerWindows
{
    /// <param name="producers">Threads to run.</param>
    /// <param name="windows">Measured windows per thread.</param>
    /// <param name="warmUp">Runs on thread p before the first window.</param>
    /// <param name="window">Runs window w on thread p, measured.</param>
    /// <param name="finish">Runs on thread p after the last window.</param>
    /// <param name="workerBytes">The bytes the workers have allocated so far.</param>
    /// <returns>Each thread's least bytes over its windows, and the workers' least bytes over a window.</returns>
    public static (long[] Producers, long Workers) Run(int producers, int windows, Action<int> warmUp, Action<int, int> window, Action<int> finish, Func<long> workerBytes)
    {
        var allocated = Enumerable.Repeat(long.MaxValue, producers).ToArray();
        using var phase = new Barrier(producers + 1);
        var failures = new List<Exception>();
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            try
            {
                warmUp(p);
                for (int w = 0; w < windows; w++)
                {
                    phase.SignalAndWait();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    window(p, w);
                    allocated[p] = Math.Min(allocated[p], GC.GetAllocatedBytesForCurrentThread() - before);
                }
                phase.SignalAndWait();
                finish(p);
            }
            catch (Exception e)
            {
                lock (failures)
                    failures.Add(e);
                phase.RemoveParticipant();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        long workers = long.MaxValue;
        phase.SignalAndWait();
        for (int w = 0; w < windows; w++)
        {
            long before = workerBytes();
            phase.SignalAndWait();
            workers = Math.Min(workers, workerBytes() - before);
        }
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
        return (allocated, workers);
    }
}
