using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The order in which a product visits panels [<see cref="First"/>, <see cref="First"/> + <see cref="Count"/>): first to
/// last, or last to first.
/// </summary>
/// <remarks>
/// Why both: a step reads the same weights as the step before. Read first to last every time, a matrix a little larger
/// than a cache level misses on every line, since each line has been evicted by the time it comes round again (the
/// cache keeps what was read last; the pass starts with what was read first). Read in alternate directions, a pass
/// starts with what the previous one read last, so a cache's worth of the weights comes from that cache (measured on
/// Zen 5, one core reading a buffer over and over: 1 MiB 20 % faster, 2 MiB 25 %, 4–16 MiB 7–10 %). Each output row
/// is still summed within its own panel in the same order, so the direction changes no bit of the result.
/// </remarks>
internal readonly struct PanelSweep(int first, int count, bool reverse)
{
    /// <summary>The lowest panel of the range.</summary>
    public int First => first;

    /// <summary>Panels in the range.</summary>
    public int Count => count;

    /// <summary>The panel visited <paramref name="i"/>-th.</summary>
    public int this[int i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => reverse ? first + count - 1 - i : first + i;
    }

    /// <summary>The same range read as two streams (see <see cref="PanelPairs"/>).</summary>
    public PanelPairs Pairs => new(first, count, reverse);
}

/// <summary>
/// The order in which a one-vector product reads a panel range as two streams: panel i of the first half side by side
/// with panel i of the second half, first to last or last to first; an odd range's last panel alone, where the sweep
/// meets it (last when forwards, first when backwards), so that a pass still begins with what the previous one read
/// last (<see cref="PanelSweep"/>).
/// </summary>
/// <remarks>Why two streams: from L3 or DRAM, one core reads one sequential stream at 0.65–0.8 of the rate of two (the
/// figures are at <see cref="KernelSelector.ReadsAsTwoStreams"/>). The fp32, bfloat16 and int8 products all take their
/// pairs in this order, so a thread's range and the sweep's direction mean the same to each.</remarks>
internal readonly struct PanelPairs(int first, int count, bool reverse)
{
    /// <summary>Visits: one per pair and one for a lone panel.</summary>
    public int Count => (count + 1) / 2;

    /// <summary>The panels read together at visit <paramref name="v"/>: <c>B</c> is -1 for the lone panel.</summary>
    public (int A, int B) this[int v]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int half = count / 2;
            if (count % 2 == 1)
            {
                if (v == (reverse ? 0 : half))
                    return (first + count - 1, -1);
                if (reverse)
                    v--;
            }
            int i = reverse ? half - 1 - v : v;
            return (first + i, first + half + i);
        }
    }
}
