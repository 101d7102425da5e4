namespace FastRnn.Tests.Support;

/// <summary>
/// Zero-allocation assertions: the work is run once to warm up, then measured with
/// <c>GC.GetAllocatedBytesForCurrentThread()</c> in rounds until one allocates nothing.
/// </summary>
/// <remarks>
/// An allocation the code makes on every call shows in every round, so the assertion fails for it. What does not
/// repeat is allowed: on a busy machine, with the suite running in parallel, the runtime occasionally charges a few
/// kilobytes to a test thread in the middle of an otherwise steady loop (seen at about one full run in four, with
/// tiered compilation off and no collection in between); the rounds keep that from failing a correct engine.
/// </remarks>
internal static class Allocations
{
    /// <summary>Fails unless some round of <paramref name="work"/>, after a warm-up run, allocates nothing on this thread.</summary>
    public static void AssertNone(Action work, string what, int rounds = 5)
    {
        work();
        var seen = new long[rounds];
        for (int round = 0; round < rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            seen[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            if (seen[round] == 0)
                return;
        }
        Assert.Fail($"{what} allocated in every one of {rounds} rounds: {string.Join(", ", seen)} bytes");
    }
}
