using System.Diagnostics;

namespace FastRnn.Streaming;

/// <summary>How a batching worker waits for more work to join its next step, shared by <see cref="StreamWorker"/> and <see cref="TranslationWorker"/>.</summary>
internal static class BatchWait
{
    /// <summary>
    /// Called with <paramref name="gate"/> held; waits (releasing it) until <paramref name="due"/> holds or the
    /// <see cref="Stopwatch"/> timestamp <paramref name="deadline"/> has passed. Producers pulse the gate when they add work.
    /// </summary>
    public static void Until(object gate, long deadline, Func<bool> due)
    {
        while (!due())
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
                return;
            long milliseconds = (deadline - now) * 1000 / Stopwatch.Frequency;
            if (milliseconds >= 1)
            {
                Monitor.Wait(gate, (int)Math.Min(milliseconds, int.MaxValue));
                continue;
            }
            // Under a millisecond left: a timed wait would oversleep, so let producers in and look again.
            Monitor.Exit(gate);
            try
            {
                Thread.Yield();
            }
            finally
            {
                Monitor.Enter(gate);
            }
        }
    }
}
