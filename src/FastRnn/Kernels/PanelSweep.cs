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
}
