using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>The int8 panel dot products (one vector, several vectors) of one instruction set, chosen with its <see cref="KernelSet"/>.</summary>
internal abstract class Int8Kernel
{
    /// <summary>The name of the integer instructions, for diagnostics (e.g. <c>avx-vnni</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The quantized activations' operands for these kernels (<see cref="Int8Operands.Prepare"/>): once per
    /// product, for every vector and segment at once; <paramref name="buffer"/> holds at least 2 · quads.Length ints.</summary>
    public abstract Int8Operands Prepare(ReadOnlySpan<int> quads, Span<int> buffer);

    /// <inheritdoc cref="Int8PanelKernel{TOps, TAcc, TBytes}.Dot"/>
    public abstract void Dot(ref sbyte panel, ref int rowSums, Int8Operands x, int quads, ref int acc);

    /// <summary>
    /// <see cref="Dot"/> for <paramref name="panels"/> consecutive panels of one segment (<paramref name="panelStride"/>
    /// bytes apart), their 32 row sums each in a row from <paramref name="rowSums"/>, their sums in a row into <paramref name="acc"/>;
    /// last panel first when <paramref name="reverse"/> (<see cref="PanelSweep"/>). <paramref name="twoStreams"/>: the two
    /// halves of the range side by side in <see cref="PanelPairs"/>' order, for weights that come from L3 or DRAM
    /// (<see cref="KernelSelector.ReadsAsTwoStreams"/>); the sums are exact, so the same either way.
    /// </summary>
    public abstract void DotPanels(ref sbyte panel, int panelStride, ref int rowSums, Int8Operands x, int quads, int panels, ref int acc,
        bool reverse = false, bool twoStreams = false);

    /// <inheritdoc cref="Int8TileKernel{TOps, TAcc, TBytes}.Dot"/>
    public abstract void DotTiled(ref sbyte panel, ref int rowSums, Int8Operands x, int xStride, int quads, int count, ref int acc);
}

/// <summary><see cref="Int8Kernel"/> for one <see cref="IInt8Ops{TAcc, TBytes}"/> struct.</summary>
internal sealed class Int8Kernel<TOps, TAcc, TBytes>(string name) : Int8Kernel
    where TOps : IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    public override string Name => name;

    public override Int8Operands Prepare(ReadOnlySpan<int> quads, Span<int> buffer) => Int8Operands.Prepare<TOps, TAcc, TBytes>(quads, buffer);

    public override void Dot(ref sbyte panel, ref int rowSums, Int8Operands x, int quads, ref int acc)
        => Int8PanelKernel<TOps, TAcc, TBytes>.Dot(ref panel, ref rowSums, x, quads, ref acc);

    public override void DotPanels(ref sbyte panel, int panelStride, ref int rowSums, Int8Operands x, int quads, int panels, ref int acc,
        bool reverse = false, bool twoStreams = false)
    {
        if (twoStreams && Int8PanelKernel<TOps, TAcc, TBytes>.CanDotTwo && panels > 1)
        {
            DotHalvesTogether(ref panel, panelStride, ref rowSums, x, quads, panels, ref acc, reverse);
            return;
        }
        var sweep = new PanelSweep(0, panels, reverse);
        for (int i = 0; i < panels; i++)
            DotOne(ref panel, panelStride, ref rowSums, x, quads, sweep[i], ref acc);
    }

    // The pairs in PanelPairs' order; the lone panel through the one-panel kernel.
    private static void DotHalvesTogether(ref sbyte panel, int panelStride, ref int rowSums, Int8Operands x, int quads, int panels, ref int acc, bool reverse)
    {
        PanelPairs pairs = new PanelSweep(0, panels, reverse).Pairs;
        for (int v = 0; v < pairs.Count; v++)
        {
            (int i, int j) = pairs[v];
            if (j < 0)
            {
                DotOne(ref panel, panelStride, ref rowSums, x, quads, i, ref acc);
                continue;
            }
            int laneA = i * PackedMatrix.PanelRows, laneB = j * PackedMatrix.PanelRows;
            Int8PanelKernel<TOps, TAcc, TBytes>.DotTwo(
                ref Unsafe.Add(ref panel, (nint)i * panelStride), ref Unsafe.Add(ref rowSums, laneA), ref Unsafe.Add(ref acc, laneA),
                ref Unsafe.Add(ref panel, (nint)j * panelStride), ref Unsafe.Add(ref rowSums, laneB), ref Unsafe.Add(ref acc, laneB), x, quads);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotOne(ref sbyte panel, int panelStride, ref int rowSums, Int8Operands x, int quads, int p, ref int acc)
    {
        int lane = p * PackedMatrix.PanelRows;
        Int8PanelKernel<TOps, TAcc, TBytes>.Dot(ref Unsafe.Add(ref panel, (nint)p * panelStride), ref Unsafe.Add(ref rowSums, lane), x, quads, ref Unsafe.Add(ref acc, lane));
    }

    public override void DotTiled(ref sbyte panel, ref int rowSums, Int8Operands x, int xStride, int quads, int count, ref int acc)
        => Int8TileKernel<TOps, TAcc, TBytes>.Dot(ref panel, ref rowSums, x, xStride, quads, count, ref acc);
}
