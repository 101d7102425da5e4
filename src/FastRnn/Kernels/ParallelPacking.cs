using System.Runtime.ExceptionServices;
using FastRnn.Format;

namespace FastRnn.Kernels;

/// <summary>
/// The packing of one matrix, panel by panel, for <see cref="ParallelPacking"/>. An implementation holds raw pointers
/// to memory its caller keeps pinned (a struct of spans could not cross threads), and packing panel p touches only
/// panel p's source rows and destination.
/// </summary>
internal interface IPanelPacker
{
    /// <summary>Packs panel <paramref name="panel"/>; when checksumming, feeds the panel's source bytes (one contiguous
    /// run, rows 32p to 32p + 31) into <paramref name="crc"/> and returns the new state, else returns it unchanged.</summary>
    uint Pack(int panel, uint crc);

    /// <summary>Bytes of panel <paramref name="panel"/>'s source rows.</summary>
    long SourceBytes(int panel);

    /// <summary>Called by a thread after each run of panels: makes their stores visible before the matrix is handed
    /// on (streaming stores are weakly ordered).</summary>
    void Finish();
}

/// <summary>
/// Runs an <see cref="IPanelPacker"/> over every panel of a matrix, on the calling thread alone or, for a loader given
/// more threads (<see cref="ModelLoadOptions.Threads"/>) and a matrix of <see cref="MinParallelBytes"/> or more, with
/// thread-pool threads taking chunks of panels beside it.
/// </summary>
/// <remarks>
/// <para>Loading a large model is memory traffic (the file's pages faulted in and read, the packed copy written) plus
/// the checksum and the transposes: a second core brings its own share of each (measured on Zen 5: a 32 MiB LSTM's
/// load from 4.6 to 3.3 ms with two threads, in a harness).</para>
/// <para>Chunks are taken from a shared counter, so a pool thread that starts late, or never, costs the caller nothing
/// but the chunk in flight: the caller packs whatever is left. Each chunk checksums its own panels from state 0, and
/// the chunks' states are joined in panel order by <see cref="Crc32C.Shift"/> (the CRC's linearity), which gives the
/// state a single pass over the whole source gives. Packing moves bits only, so every thread count gives the same
/// packed matrix.</para>
/// </remarks>
internal static class ParallelPacking
{
    /// <summary>Matrices whose source is smaller than this are packed by the caller alone: a pool thread's start-up
    /// (microseconds) would be a large share of their packing.</summary>
    public const long MinParallelBytes = 1L << 20;

    /// <summary>Chunks per thread: enough that threads which start late still get a share, few enough that joining the
    /// chunks' checksums costs nothing.</summary>
    private const int ChunksPerThread = 8;

    /// <summary>Packs all <paramref name="panels"/> panels; returns the CRC state over the whole source (from 0) when
    /// <paramref name="checksum"/>, else 0.</summary>
    /// <remarks>Whatever happens on the calling thread (a failed queueing, an exception), it does not leave before every
    /// chunk another thread took is finished: those threads write through pointers into memory the caller pinned.</remarks>
    public static uint Run<TPacker>(TPacker packer, int panels, long sourceBytes, int threads, bool checksum)
        where TPacker : struct, IPanelPacker
    {
        int chunks = threads > 1 && sourceBytes >= MinParallelBytes ? Math.Min(panels, threads * ChunksPerThread) : 1;
        if (chunks <= 1)
        {
            uint crc = 0;
            for (int p = 0; p < panels; p++)
                crc = packer.Pack(p, crc);
            packer.Finish();
            return crc;
        }

        s_parallelRuns++;
        var job = new Job<TPacker>(packer, panels, chunks);
        try
        {
            for (int t = 1, helpers = Math.Min(threads, chunks) - 1; t <= helpers; t++)
                ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
            job.Work();
        }
        finally
        {
            job.CloseAndDrain();
        }
        job.ThrowIfFailed();
        return checksum ? job.JoinedChecksum() : 0;
    }

    /// <summary>Packings on this thread that shared their panels with other threads (for tests: a loader given more
    /// than one thread must really use them).</summary>
    internal static int ParallelRunsOnThisThread => s_parallelRuns;

    [ThreadStatic]
    private static int s_parallelRuns;

    private sealed class Job<TPacker>(TPacker packer, int panels, int chunks) : IThreadPoolWorkItem
        where TPacker : struct, IPanelPacker
    {
        private readonly uint[] _crcs = new uint[chunks];
        private int _next, _done;
        private Exception? _failure;

        private int First(int chunk) => (int)((long)chunk * panels / chunks);

        public void Execute() => Work();

        /// <summary>Takes chunks until none is left.</summary>
        public void Work()
        {
            TPacker local = packer; // each thread its own copy (the packer holds pointers and sizes only)
            int chunk;
            while ((chunk = Interlocked.Increment(ref _next) - 1) < chunks)
            {
                try
                {
                    uint crc = 0;
                    for (int p = First(chunk), end = First(chunk + 1); p < end; p++)
                        crc = local.Pack(p, crc);
                    _crcs[chunk] = crc;
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                finally
                {
                    local.Finish(); // the chunk's stores visible before it is counted done
                    Interlocked.Increment(ref _done);
                }
            }
        }

        /// <summary>
        /// Lets no thread take another chunk, then waits until every chunk already taken is finished. Spins and
        /// yields rather than blocking: what is left is at most one chunk per other thread (tens of microseconds), and
        /// neither can be interrupted (<see cref="Thread.Interrupt"/>), which would let the caller unpin memory a
        /// thread still writes.
        /// </summary>
        public void CloseAndDrain()
        {
            int taken = Math.Min(Interlocked.Exchange(ref _next, int.MaxValue / 2), chunks);
            for (int spins = 0; Volatile.Read(ref _done) < taken; spins++)
            {
                if (spins < 64)
                    Thread.SpinWait(32);
                else
                    Thread.Yield();
            }
        }

        /// <summary>Rethrows the first failure of any thread's chunk.</summary>
        public void ThrowIfFailed()
        {
            if (_failure is { } failure)
                ExceptionDispatchInfo.Throw(failure);
        }

        /// <summary>The chunks' states joined in panel order: the state of one pass over all of them.</summary>
        public uint JoinedChecksum()
        {
            uint crc = 0;
            for (int c = 0; c < chunks; c++)
            {
                long bytes = 0;
                for (int p = First(c), end = First(c + 1); p < end; p++)
                    bytes += packer.SourceBytes(p);
                crc = Crc32C.Shift(crc, bytes) ^ _crcs[c];
            }
            return crc;
        }
    }
}
